package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.cli.InProcessCli;
import io.mtemigrate.cli.certs.CertificateMaker;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.Destination;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS between source and target: only a source with a certificate from the trusted CA, holding its key,
 * gets a VM in; a source never sends to a target that cannot prove itself; a man in the middle can neither
 * impersonate the target nor alter a byte undetected. Certificates come from `mte-migrate certs`'s maker.
 */
class MutualTlsTest {
    private static final Duration HANDSHAKE = Duration.ofSeconds(10);
    private static final MachineSpec GUEST = new MachineSpec(8L << 20, PageSize.SIZE_4K, 2, true, Workload.ALLOC,
            Fill.ALLOC, 5, 40_000, 8L << 20);
    private static final MachineSpec SMALL = new MachineSpec(1L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE,
            Fill.RANDOM, 5, 1_000, 0);

    @TempDir
    static Path dir;
    private static MutualTls.Credentials trusted;
    private static MutualTls.Credentials stranger;

    @BeforeAll
    static void makeCertificates() throws Exception {
        trusted = make(dir.resolve("trusted"));
        stranger = make(dir.resolve("stranger"));
    }

    private static MutualTls.Credentials make(Path at) throws Exception {
        CertificateMaker.make(at, List.of("localhost", "127.0.0.1"), 2);
        return MutualTls.load(at.resolve(CertificateMaker.SOURCE), at.resolve(CertificateMaker.TRUST),
                at.resolve(CertificateMaker.PASSWORD));
    }

    private static MutualTls.Credentials targetCredentials(String set) {
        Path at = dir.resolve(set);
        return MutualTls.load(at.resolve(CertificateMaker.TARGET), at.resolve(CertificateMaker.TRUST),
                at.resolve(CertificateMaker.PASSWORD));
    }

    private static LoopbackTarget tlsTarget(String set, String host) throws InterruptedException {
        return new LoopbackTarget(TargetConfig.loopback().withHost(host).withTls(targetCredentials(set).server(HANDSHAKE)));
    }

    private static MigrationReport migrate(SimulatedMachine source, InetSocketAddress to, MutualTls tls) {
        Destination destination = tls == null ? Destination.target(to) : Destination.target(to, tls);
        return new SourceMigration(source, destination, MigrationConfig.defaults().withTimeout(Duration.ofSeconds(60)),
                ProgressListener.NONE).run();
    }

    private static InetSocketAddress addressOf(LoopbackTarget target) {
        return target.server.address();
    }

    @Test
    void shouldMigrateALiveGuestOverMutualTls() throws Exception {
        long reference = Guests.referenceDigest(GUEST);
        try (LoopbackTarget target = tlsTarget("trusted", "127.0.0.1");
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), GUEST)) {
            source.start();
            MigrationReport report = migrate(source, addressOf(target), trusted.client(HANDSHAKE));
            assertEquals("completed", report.getStatus(), report.getError());
            assertEquals(report.getSourceDigest(), report.getTargetDigest());
            try (MigratableVm arrived = target.awaitArrival().machine()) {
                assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(arrived)));
                assertEquals(0, arrived.progress().tagCheckFaults());
            }
        }
    }

    @Test
    void shouldRefuseASourceWithoutTlsAndTellItWhy() throws Exception {
        try (LoopbackTarget target = tlsTarget("trusted", "127.0.0.1")) {
            MigrationReport report = refusedMigration(target, null);
            assertTrue(report.getError().contains("accepts only sources authenticated with mutual TLS"), report.getError());
            assertEquals(List.of("the peer does not speak TLS"), target.refused);
            assertStillAcceptsTrustedSources(target);
        }
    }

    @Test
    void shouldRefuseASourceWhoseCertificateComesFromAnotherCa() throws Exception {
        try (LoopbackTarget target = tlsTarget("trusted", "127.0.0.1")) {
            // The stranger source trusts the real target, so only the target's check can stop it.
            MutualTls source = MutualTls.client(stranger.identity(), stranger.password(), trusted.trusted(), HANDSHAKE);
            MigrationReport report = refusedMigration(target, source);
            assertTrue(report.getError().contains("does not accept this source's certificate"), report.getError());
            await().atMost(Duration.ofSeconds(10)).until(() -> !target.refused.isEmpty());
            assertTrue(target.refused.getFirst().startsWith("TLS handshake failed"), target.refused.toString());
            assertStillAcceptsTrustedSources(target);
        }
    }

    @Test
    void shouldRefuseASourcePresentingTheRightCertificateWithoutItsKey() throws Exception {
        KeyStore forged = KeyStore.getInstance("PKCS12");
        forged.load(null, null);
        Certificate[] chain = trusted.identity().getCertificateChain("source");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        forged.setKeyEntry("source", generator.generateKeyPair().getPrivate(), trusted.password(), chain);
        try (LoopbackTarget target = tlsTarget("trusted", "127.0.0.1")) {
            MigrationReport report = refusedMigration(target,
                    MutualTls.client(forged, trusted.password(), trusted.trusted(), HANDSHAKE));
            assertTrue(report.getError().contains("TLS"), report.getError());
            await().atMost(Duration.ofSeconds(10)).until(() -> !target.refused.isEmpty());
            assertTrue(target.refused.getFirst().startsWith("TLS handshake failed"), target.refused.toString());
            assertStillAcceptsTrustedSources(target);
        }
    }

    @Test
    void shouldNotSendToATargetWhoseCertificateComesFromAnotherCa() throws Exception {
        // An impostor target with a certificate from its own CA, e.g. a man in the middle terminating TLS.
        try (LoopbackTarget impostor = tlsTarget("stranger", "127.0.0.1")) {
            MigrationReport report = refusedMigration(impostor, trusted.client(HANDSHAKE));
            assertTrue(report.getError().contains("TLS handshake with the target"), report.getError());
            assertTrue(report.getError().contains("PKIX"), report.getError());
        }
    }

    @Test
    void shouldNotSendToATargetWhoseCertificateNamesAnotherHost() throws Exception {
        // The trusted target certificate names localhost and 127.0.0.1; the source dials 127.0.0.2.
        try (LoopbackTarget elsewhere = tlsTarget("trusted", "127.0.0.2")) {
            MigrationReport report = refusedMigration(elsewhere, trusted.client(HANDSHAKE));
            assertTrue(report.getError().contains("No subject alternative names matching IP address 127.0.0.2"),
                    report.getError());
        }
    }

    @Test
    void shouldDetectEveryBitFlippedInTheEncryptedStream() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        int flips = 25;
        try (LoopbackTarget target = tlsTarget("trusted", "127.0.0.1"); FaultProxy proxy = new FaultProxy(addressOf(target))) {
            long streamBytes;
            try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
                proxy.passThrough();
                MigrationReport clean = migrate(source, proxy.address(), trusted.client(HANDSHAKE));
                assertEquals("completed", clean.getStatus(), clean.getError());
                streamBytes = proxy.forwarded();
                target.awaitArrival().machine().close();
            }
            for (int i = 0; i < flips; i++) {
                long offset = random.nextLong(streamBytes);
                try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
                    proxy.flipAt(offset, random.nextInt(8));
                    MigrationReport report = migrate(source, proxy.address(), trusted.client(HANDSHAKE));
                    assertTrue(proxy.flipped(), "the stream reached byte " + offset);
                    assertEquals("failed", report.getStatus(), "flip at byte " + offset + " went unnoticed");
                    assertFalse(source.vm().vcpusPaused());
                    await().atMost(Duration.ofSeconds(35)).until(() -> target.server.activeMigrations() == 0);
                    assertTrue(target.arrived.isEmpty(), "flip at byte " + offset + ": a guest resumed");
                }
            }
        }
    }

    @Test
    void shouldReplayARecordingToTargetsWithAndWithoutTls() throws Exception {
        Path recording = dir.resolve("guest.mtes");
        assertEquals(0, InProcessCli.run("record", "--out", recording.toString(), "--ram", "8M", "--workload", "alloc",
                "--steps", "20000", "--quiet"));
        Path pki = dir.resolve("trusted");
        try (LoopbackTarget secure = tlsTarget("trusted", "127.0.0.1"); LoopbackTarget plain = new LoopbackTarget()) {
            String[] tls = {"--tls-keystore", pki.resolve(CertificateMaker.SOURCE).toString(), "--tls-truststore",
                    pki.resolve(CertificateMaker.TRUST).toString(), "--tls-password-file",
                    pki.resolve(CertificateMaker.PASSWORD).toString()};
            String secureAddress = "127.0.0.1:" + secure.server.port();
            String[] overTls = Stream.concat(Stream.of("replay", recording.toString(),
                    "--to", secureAddress, "--quiet"), Arrays.stream(tls)).toArray(String[]::new);
            assertEquals(0, InProcessCli.run(overTls), "replay over mutual TLS");
            long overTlsDigest = secure.awaitArrival().targetDigest();

            assertEquals(0, InProcessCli.run("replay", recording.toString(), "--to", "127.0.0.1:" + plain.server.port(),
                    "--quiet"), "replay in the clear on loopback");
            assertEquals(overTlsDigest, plain.awaitArrival().targetDigest(), "both targets rebuilt the same guest");

            // Without its certificate the replay is turned away like any source.
            assertEquals(1, InProcessCli.run("replay", recording.toString(), "--to", secureAddress, "--quiet"));
            assertTrue(secure.arrived.isEmpty());
        }
    }

    /** Runs a migration that must be refused before any page moved, and checks the target holds nothing. */
    private static MigrationReport refusedMigration(LoopbackTarget target, MutualTls tls) throws Exception {
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
            source.start();
            MigrationReport report = migrate(source, addressOf(target), tls);
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().startsWith("failed during handshake"), report.getError());
            assertEquals(0, report.getPagesSent());
            assertFalse(source.vm().vcpusPaused(), "the source guest runs on");
            assertEquals(0, target.server.activeMigrations());
            assertTrue(target.failures.isEmpty(), "no migration began: " + target.failures);
            assertTrue(target.arrived.isEmpty());
            return report;
        }
    }

    private static void assertStillAcceptsTrustedSources(LoopbackTarget target) throws Exception {
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
            MigrationReport report = migrate(source, addressOf(target), trusted.client(HANDSHAKE));
            assertEquals("completed", report.getStatus(), report.getError());
            target.awaitArrival().machine().close();
        }
    }
}
