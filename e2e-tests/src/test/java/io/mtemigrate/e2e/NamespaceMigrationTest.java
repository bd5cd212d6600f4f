package io.mtemigrate.e2e;

import io.mtemigrate.cli.certs.CertificateMaker;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import io.mtemigrate.vmkvm.KvmBackend;
import io.mtemigrate.vmkvm.KvmGuestSpec;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Migrations between two hosts that are separate network namespaces, each `mte-migrate` its own process inside its
 * own namespace, over a veth link shaped with tc and authenticated with mutual TLS, as README's two-host
 * instructions describe. Needs root and iproute2 (skips, saying why, without them); netem scenarios skip on kernels
 * without netem. Each scenario checks the digests and prints its throughput as a share of the link rate.
 */
@Timeout(600)
class NamespaceMigrationTest {
    private static final Path LAUNCHER = Path.of("..", "mte-migrate").toAbsolutePath().normalize();
    private static final String TARGET = HostPair.TARGET_ADDRESS + ":7777";
    private static final Path FIGURES = Path.of("target", "netns-figures.txt");

    @TempDir
    static Path dir;
    private static HostPair hosts;
    private final Map<Process, String> targetNames = new HashMap<>();

    @BeforeAll
    static void createHosts() throws Exception {
        Assumptions.assumeTrue(HostPair.unavailableReason().isEmpty(),
                () -> "skipped: " + HostPair.unavailableReason().orElse(""));
        CertificateMaker.make(dir.resolve("pki"), List.of(HostPair.TARGET_ADDRESS), 2);
        hosts = HostPair.create();
    }

    @AfterEach
    void stopHosts() {
        if (hosts != null) {
            hosts.stopProcesses();
        }
    }

    @AfterAll
    static void removeHosts() {
        if (hosts != null) {
            hosts.close();
        }
    }

    @Test
    void shouldMigrateALiveOneGibGuestOverAOneGigabitLink() throws Exception {
        MachineSpec guest = spec(1L << 30, Workload.ALLOC, 16L << 20, 20);
        hosts.shape(1_000_000_000L);
        Scenario run = migrate("a", guest, 1_000_000_000L);
        run.assertCompletedAndVerified(guest);
    }

    @Test
    void shouldConvergeOverAWanLikeLinkWithAutoConverge() throws Exception {
        // Its hot pages are dirtied faster than the link carries them: only throttling lets it converge.
        MachineSpec guest = spec(256L << 20, Workload.HOTSET, 4L << 20, 25);
        long rate = 200_000_000L;
        String delay = hosts.netemUnavailableReason().map(why -> "no added delay: " + why).orElse(null);
        if (delay == null) {
            hosts.impair(rate, 20, 0);
        } else {
            hosts.shape(rate);
            System.out.println("scenario b: " + delay);
        }
        Scenario run = migrate("b", guest, rate);
        run.assertCompletedAndVerified(guest);
    }

    @Test
    void shouldCompleteOverALinkThatLosesPackets() throws Exception {
        String why = hosts.netemUnavailableReason().orElse(null);
        Assumptions.assumeTrue(why == null, () -> "scenario c (0.5 % loss) skipped: " + why);
        MachineSpec guest = spec(256L << 20, Workload.ALLOC, 8L << 20, 25);
        hosts.impair(1_000_000_000L, 0, 0.5);
        Scenario run = migrate("c", guest, 1_000_000_000L);
        run.assertCompletedAndVerified(guest);
    }

    @Test
    void shouldFailCleanlyWhenTheLinkGoesDownAndCompleteOnRetry() throws Exception {
        MachineSpec guest = spec(256L << 20, Workload.ALLOC, 2L << 20, 20);
        long rate = 200_000_000L;
        hosts.shape(rate);
        Process target = startTarget("d-target", List.of("--idle-timeout", "3s"));
        long txBefore = hosts.sourceTxBytes();
        Process source = startSource("d-source", guest, List.of("--stall-timeout", "2s"));
        // Mid first pass: a third of the guest has crossed the link.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> hosts.sourceTxBytes() - txBefore > guest.ramBytes() / 3 || !source.isAlive());
        assertTrue(source.isAlive(), "the migration ended before the cut\n" + output("d-source"));
        hosts.linkDown();
        long downAt = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - downAt >= 5_000_000_000L);
        } finally {
            hosts.linkUp();
        }
        assertTrue(source.waitFor(120, TimeUnit.SECONDS), "the source did not finish\n" + output("d-source"));
        assertEquals(1, source.exitValue(), output("d-source"));
        MigrationReport failed = report("d-source.json");
        assertEquals("failed", failed.getStatus());
        assertTrue(failed.getError().startsWith("failed during first pass"), failed.getError());
        assertEquals(RamDigest.hex(Guests.referenceDigest(guest)), failed.getFinalDigest(),
                "the guest stayed on the source and ended where it would have without a migration");
        // The target discarded its partial VM (its idle timeout) and is still listening: the retry completes.
        await().atMost(Duration.ofSeconds(30)).until(() -> output("d-target").contains("status             failed"));
        assertTrue(target.isAlive(), output("d-target"));
        Scenario retry = migrateTo(target, "d-retry", guest, rate);
        retry.assertCompletedAndVerified(guest);
    }

    @Test
    void shouldMigrateALiveRealKvmGuestBetweenTheHosts() throws Exception {
        KvmBackend.Availability kvm = KvmBackend.available();
        Assumptions.assumeTrue(kvm.usable(), () -> "scenario e (KVM) skipped: " + kvm.reason());
        // The guest dirties pages far faster than the link carries them: the throttle makes it converge.
        KvmGuestSpec guest = KvmMigrationTest.GUEST;
        long rate = 1_000_000_000L;
        hosts.shape(rate);
        Process target = startTarget("e-target", List.of("--once", "--backend", "kvm"));
        Files.deleteIfExists(dir.resolve("t.json"));
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "source", "--backend", "kvm",
                "--connect", TARGET, "--json", "e-source.json", "--tls-keystore", "pki/source.p12",
                "--tls-truststore", "pki/trust.p12", "--tls-password-file", "pki/password",
                "--ram", String.valueOf(guest.ramBytes()), "--vcpus", String.valueOf(guest.vcpus()),
                "--seed", String.valueOf(guest.seed()), "--steps", String.valueOf(guest.steps())));
        Process source = hosts.start(hosts.sourceNs, dir, "e-source", command);
        assertTrue(source.waitFor(300, TimeUnit.SECONDS), "the source did not finish\n" + output("e-source"));
        assertEquals(0, source.exitValue(), output("e-source") + output(target));
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(dir.resolve("t.json"))
                && ReportJson.parse(Files.readString(dir.resolve("t.json"))).getStatus().equals("completed"));
        Scenario run = new Scenario("e (KVM x86-64)", report("e-source.json"),
                ReportJson.parse(Files.readString(dir.resolve("t.json"))), rate);
        run.record();
        assertEquals(run.source().getSourceDigest(), run.source().getTargetDigest());
        assertEquals(RamDigest.hex(KvmMigrationTest.reference(guest)), run.target().getFinalDigest(),
                "the KVM guest ended on the target where it ends without a migration");
    }

    /** Runs a target (until its first migration) and a source, and collects both reports. */
    private Scenario migrate(String name, MachineSpec guest, long linkBitsPerSecond) throws Exception {
        Process target = startTarget(name + "-target", List.of("--once"));
        return migrateTo(target, name, guest, linkBitsPerSecond);
    }

    private Scenario migrateTo(Process target, String name, MachineSpec guest, long linkBitsPerSecond) throws Exception {
        Files.deleteIfExists(dir.resolve("t.json"));
        Process source = startSource(name + "-source", guest, List.of());
        assertTrue(source.waitFor(300, TimeUnit.SECONDS), name + ": the source did not finish\n" + output(name + "-source"));
        assertEquals(0, source.exitValue(), output(name + "-source") + output(target));
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(dir.resolve("t.json"))
                && ReportJson.parse(Files.readString(dir.resolve("t.json"))).getStatus().equals("completed"));
        Scenario scenario = new Scenario(name, report(name + "-source.json"),
                ReportJson.parse(Files.readString(dir.resolve("t.json"))), linkBitsPerSecond);
        scenario.record();
        return scenario;
    }

    private Process startTarget(String name, List<String> extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "target", "--listen", TARGET,
                "--json", "t.json", "--tls-keystore", "pki/target.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password"));
        command.addAll(extra);
        Process target = hosts.start(hosts.targetNs, dir, name, command);
        targetNames.put(target, name);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> !target.isAlive() || output(name).contains("listening on"));
        assertTrue(target.isAlive(), output(name));
        return target;
    }

    private Process startSource(String name, MachineSpec guest, List<String> extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "source", "--connect", TARGET,
                "--json", name + ".json", "--tls-keystore", "pki/source.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password",
                "--ram", String.valueOf(guest.ramBytes()), "--workload", guest.workload().cliName(),
                "--vcpus", String.valueOf(guest.vcpus()), "--seed", String.valueOf(guest.seed()),
                "--steps", String.valueOf(guest.steps()), "--dirty-rate", String.valueOf(guest.dirtyRate())));
        command.addAll(extra);
        return hosts.start(hosts.sourceNs, dir, name, command);
    }

    /** A guest dirtying {@code rate} that runs for about {@code seconds} (so well past its migration). */
    private static MachineSpec spec(long ram, Workload workload, long rate, double seconds) {
        return Guests.live(workload, PageSize.SIZE_4K, ram, 2, rate, seconds);
    }

    private String output(Process target) throws IOException {
        return output(targetNames.get(target));
    }

    private static String output(String name) throws IOException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        return "--- " + name + " stdout:\n" + (Files.exists(out) ? Files.readString(out) : "")
                + "--- " + name + " stderr:\n" + (Files.exists(err) ? Files.readString(err) : "");
    }

    private static MigrationReport report(String file) throws IOException {
        return ReportJson.parse(Files.readString(dir.resolve(file)));
    }

    private record Scenario(String name, MigrationReport source, MigrationReport target, long linkBitsPerSecond) {
        double linkShare() {
            return source.getThroughputMbps() * 1e6 * 8 / linkBitsPerSecond;
        }

        void assertCompletedAndVerified(MachineSpec guest) throws InterruptedException {
            assertEquals("completed", source.getStatus(), source.getError());
            assertEquals(source.getSourceDigest(), source.getTargetDigest());
            assertEquals(source.getTargetDigest(), target.getTargetDigest());
            assertEquals(RamDigest.hex(Guests.referenceDigest(guest)), target.getFinalDigest(),
                    "the guest ended on the target where it ends without a migration");
            assertEquals(0, source.getTagCheckFaults());
            assertEquals(0, target.getTagCheckFaults());
        }

        void record() throws IOException {
            String line = String.format(Locale.ROOT, "scenario %s: %s over %d Mbit/s: %s in %d ms, downtime %d ms,"
                            + " %d rounds, %.1f MB/s on the wire = %.3f of the link rate%n", name,
                    bytes(source.getRamBytes()),
                    linkBitsPerSecond / 1_000_000, source.getStatus(), source.getTotalTimeMs(),
                    source.getDowntimeMs(), source.getRounds(), source.getThroughputMbps(), linkShare());
            System.out.print(line);
            Files.createDirectories(FIGURES.getParent());
            Files.writeString(FIGURES, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }

        private static String bytes(long n) {
            return (n >> 20) + " MiB";
        }
    }
}
