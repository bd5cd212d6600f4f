package io.mtemigrate.e2e;

import io.mtemigrate.cli.certs.CertificateMaker;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Post-copy between two hosts that are network namespaces, each `mte-migrate` its own process, over a shaped veth
 * link with mutual TLS: MTE guests of every page size, the source or the target process stopped for seconds in
 * the post-copy phase, and a source killed after the switch, which loses the guest: the target must then stop it
 * with a clear error. Needs root and iproute2 (skips, saying why, without them).
 */
@Timeout(300)
class PostcopyNamespaceTest {
    private static final Path LAUNCHER = Path.of("..", "mte-migrate").toAbsolutePath().normalize();
    private static final String TARGET = HostPair.TARGET_ADDRESS + ":7778";
    private static final long LINK = 1_000_000_000L;

    @TempDir
    static Path dir;
    private static HostPair hosts;

    @BeforeAll
    static void createHosts() throws Exception {
        Assumptions.assumeTrue(HostPair.unavailableReason().isEmpty(),
                () -> "skipped: " + HostPair.unavailableReason().orElse(""));
        CertificateMaker.make(dir.resolve("pki"), List.of(HostPair.TARGET_ADDRESS), 2);
        hosts = HostPair.create();
    }

    @AfterEach
    void stopProcesses() {
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

    @ParameterizedTest(name = "{0}")
    @EnumSource(PageSize.class)
    void shouldPostcopyALiveMteGuestOfEveryPageSize(PageSize pageSize) throws Exception {
        MachineSpec guest = Guests.live(Workload.RANDOM, pageSize, 64L << 20, 2, 32L << 20, 3.0);
        hosts.shape(LINK);
        String name = "a-" + pageSize.bytes();
        Process target = startTarget(name + "-target", List.of("--once"));
        Process source = startSource(name + "-source", guest, List.of("--postcopy=first-pass"));
        assertCompleted(name, source, target, guest);
    }

    @ParameterizedTest(name = "{0} process stopped for 3 s")
    @ValueSource(strings = {"source", "target"})
    void shouldCompleteWhenEitherProcessStopsForSecondsInThePostcopyPhase(String which) throws Exception {
        MachineSpec guest = Guests.live(Workload.RANDOM, PageSize.SIZE_4K, 128L << 20, 2, 32L << 20, 8.0);
        // 200 Mbit/s: the post-copy phase of 128 MiB lasts about five seconds, long enough to stop a process in.
        hosts.shape(200_000_000L);
        String name = "b-" + which;
        Process target = startTarget(name + "-target", List.of("--once"));
        Process source = startSource(name + "-source", guest, List.of("--postcopy=start", "--progress"));
        awaitPostcopy(name + "-source", source);
        Process stopped = which.equals("source") ? source : target;
        signal("STOP", stopped);
        long stoppedAt = System.nanoTime();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - stoppedAt >= 3_000_000_000L);
        } finally {
            signal("CONT", stopped);
        }
        assertCompleted(name, source, target, guest);
    }

    @Test
    void shouldStopTheGuestWithAClearErrorWhenTheSourceIsKilledAfterTheSwitch() throws Exception {
        MachineSpec guest = Guests.live(Workload.RANDOM, PageSize.SIZE_4K, 128L << 20, 2, 32L << 20, 8.0);
        hosts.shape(200_000_000L);
        Process target = startTarget("c-target", List.of("--once", "--recovery-timeout", "3s"));
        Process source = startSource("c-source", guest, List.of("--postcopy=start", "--progress"));
        awaitPostcopy("c-source", source);
        source.destroyForcibly();
        assertTrue(target.waitFor(60, TimeUnit.SECONDS), "the target did not stop\n" + output("c-target"));
        assertNotEquals(0, target.exitValue(), output("c-target"));
        MigrationReport report = ReportJson.parse(Files.readString(dir.resolve("t.json")));
        assertEquals("failed", report.getStatus());
        assertTrue(report.getError().contains("did not come back within 3 s")
                && report.getError().contains("is stopped"), report.getError());
    }

    private void awaitPostcopy(String name, Process source) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> !source.isAlive() || output(name).contains("the guest runs on the target"));
        assertTrue(source.isAlive(), "the migration ended before its post-copy phase\n" + output(name));
    }

    private void assertCompleted(String name, Process source, Process target, MachineSpec guest) throws Exception {
        assertTrue(source.waitFor(120, TimeUnit.SECONDS), "the source did not finish\n" + output(name + "-source"));
        assertEquals(0, source.exitValue(), output(name + "-source") + output(name + "-target"));
        assertTrue(target.waitFor(120, TimeUnit.SECONDS), "the target did not finish\n" + output(name + "-target"));
        MigrationReport sent = ReportJson.parse(Files.readString(dir.resolve(name + "-source.json")));
        MigrationReport arrived = ReportJson.parse(Files.readString(dir.resolve("t.json")));
        assertEquals("completed", sent.getStatus(), sent.getError());
        assertTrue(sent.hasPostcopy(), "the migration must have switched to post-copy");
        assertEquals(sent.getSourceDigest(), sent.getTargetDigest());
        assertEquals(RamDigest.hex(Guests.referenceDigest(guest)), arrived.getFinalDigest(),
                "the guest ended on the target where it ends without a migration");
        assertEquals(0, arrived.getTagCheckFaults());
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " failed");
    }

    private Process startTarget(String name, List<String> extra) throws Exception {
        Files.deleteIfExists(dir.resolve("t.json"));
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "target", "--listen", TARGET,
                "--json", "t.json", "--tls-keystore", "pki/target.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password"));
        command.addAll(extra);
        Process target = hosts.start(hosts.targetNs, dir, name, command);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> !target.isAlive() || output(name).contains("listening on"));
        assertTrue(target.isAlive(), output(name));
        return target;
    }

    private Process startSource(String name, MachineSpec guest, List<String> extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "source", "--connect", TARGET,
                "--json", name + ".json", "--tls-keystore", "pki/source.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password", "--page-size", guest.pageSize().bytes() / 1024 + "K",
                "--ram", String.valueOf(guest.ramBytes()), "--workload", guest.workload().cliName(),
                "--vcpus", String.valueOf(guest.vcpus()), "--seed", String.valueOf(guest.seed()),
                "--steps", String.valueOf(guest.steps()), "--dirty-rate", String.valueOf(guest.dirtyRate())));
        command.addAll(extra);
        return hosts.start(hosts.sourceNs, dir, name, command);
    }

    private static String output(String name) {
        try {
            Path out = dir.resolve(name + ".out");
            Path err = dir.resolve(name + ".err");
            return "--- " + name + " stdout:\n" + (Files.exists(out) ? Files.readString(out) : "")
                    + "--- " + name + " stderr:\n" + (Files.exists(err) ? Files.readString(err) : "");
        } catch (IOException e) {
            return "--- " + name + ": " + e;
        }
    }
}
