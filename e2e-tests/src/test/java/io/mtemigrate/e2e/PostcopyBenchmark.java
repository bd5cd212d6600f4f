package io.mtemigrate.e2e;

import io.mtemigrate.cli.certs.CertificateMaker;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BENCHMARKS.md's post-copy figures, not a test: runs only with {@code -Dmte.bench.postcopy=true} (it takes
 * minutes). A 1 GiB guest streaming writes over its memory at 256 MiB/s, about twice what a 1 Gbit/s link carries,
 * migrated between two namespaces over that link and over loopback: pre-copy without and with auto-converge,
 * post-copy from the start and after the first pass; then an idle guest, where post-copy gains nothing. Each run's
 * line goes to stdout and to {@code target/postcopy-figures.txt}.
 */
class PostcopyBenchmark {
    private static final Path LAUNCHER = Path.of("..", "mte-migrate").toAbsolutePath().normalize();
    private static final String TARGET = HostPair.TARGET_ADDRESS + ":7779";
    private static final Path FIGURES = Path.of("target", "postcopy-figures.txt");
    private static final long LINK = 1_000_000_000L;
    private static final long RAM = 1L << 30;

    @TempDir
    static Path dir;
    private static HostPair hosts;

    private static final List<List<String>> MODES = List.of(
            List.of("--no-auto-converge", "--max-rounds", "2"),
            List.of(),
            List.of("--postcopy=start"),
            List.of("--postcopy=first-pass"));

    @BeforeAll
    static void createHosts() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("mte.bench.postcopy"), "a benchmark: -Dmte.bench.postcopy=true runs it");
        Assumptions.assumeTrue(HostPair.unavailableReason().isEmpty(),
                () -> "skipped: " + HostPair.unavailableReason().orElse(""));
        CertificateMaker.make(dir.resolve("pki"), List.of(HostPair.TARGET_ADDRESS), 2);
        hosts = HostPair.create();
        hosts.shape(LINK);
    }

    @AfterEach
    void stopProcesses() {
        hosts.stopProcesses();
    }

    @AfterAll
    static void removeHosts() {
        if (hosts != null) {
            hosts.close();
        }
    }

    static MachineSpec busy() {
        // Long enough that pre-copy's rounds end while it still writes: a guest that stops converges at once.
        return Guests.live(Workload.STREAM, PageSize.SIZE_4K, RAM, 2, 256L << 20, 45);
    }

    static MachineSpec idle() {
        return Guests.live(Workload.IDLE, PageSize.SIZE_4K, RAM, 2, 0, 30);
    }

    @Test
    void betweenNamespacesOverOneGigabit() throws Exception {
        for (List<String> mode : MODES) {
            namespaces("stream 256 MiB/s", busy(), mode);
        }
        namespaces("idle", idle(), List.of());
        namespaces("idle", idle(), List.of("--postcopy=start"));
    }

    @Test
    void overLoopback() throws Exception {
        for (List<String> mode : MODES) {
            loopback("stream 256 MiB/s", busy(), mode);
        }
        loopback("idle", idle(), List.of());
        loopback("idle", idle(), List.of("--postcopy=start"));
    }

    private void namespaces(String guestName, MachineSpec guest, List<String> mode) throws Exception {
        // The last target may still run its guest to the end; the figures are the source's.
        hosts.stopProcesses();
        Files.deleteIfExists(dir.resolve("t.json"));
        List<String> target = new ArrayList<>(List.of(LAUNCHER.toString(), "target", "--listen", TARGET, "--once",
                "--json", "t.json", "--tls-keystore", "pki/target.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password"));
        Process targetProcess = hosts.start(hosts.targetNs, dir, "target", target);
        await().atMost(Duration.ofSeconds(60)).until(() -> !targetProcess.isAlive()
                || (Files.readString(dir.resolve("target.out")) + Files.readString(dir.resolve("target.err")))
                .contains("listening on"));
        List<String> source = new ArrayList<>(List.of(LAUNCHER.toString(), "source", "--connect", TARGET,
                "--json", "s.json", "--tls-keystore", "pki/source.p12", "--tls-truststore", "pki/trust.p12",
                "--tls-password-file", "pki/password"));
        source.addAll(guestOptions(guest));
        source.addAll(mode);
        Process sourceProcess = hosts.start(hosts.sourceNs, dir, "source", source);
        assertTrue(sourceProcess.waitFor(600, TimeUnit.SECONDS), "the source did not finish");
        record("1 Gbit/s namespaces", guestName, mode, ReportJson.parse(Files.readString(dir.resolve("s.json"))));
    }

    private void loopback(String guestName, MachineSpec guest, List<String> mode) throws Exception {
        List<String> demo = new ArrayList<>(List.of(LAUNCHER.toString(), "demo", "--json", "d.json"));
        demo.addAll(guestOptions(guest));
        demo.addAll(mode);
        Process process = new ProcessBuilder(demo).directory(dir.toFile())
                .redirectOutput(dir.resolve("demo.out").toFile()).redirectError(dir.resolve("demo.err").toFile()).start();
        assertTrue(process.waitFor(600, TimeUnit.SECONDS), "the demo did not finish");
        record("loopback", guestName, mode, ReportJson.parse(Files.readString(dir.resolve("d.json"))));
    }

    private static List<String> guestOptions(MachineSpec guest) {
        return List.of("--ram", String.valueOf(guest.ramBytes()), "--workload", guest.workload().cliName(),
                "--vcpus", String.valueOf(guest.vcpus()), "--seed", String.valueOf(guest.seed()),
                "--steps", String.valueOf(guest.steps()), "--dirty-rate", String.valueOf(guest.dirtyRate()));
    }

    private static void record(String link, String guest, List<String> mode, MigrationReport report) throws IOException {
        String line = String.format(Locale.ROOT, "%s, %s, %s: %s, total %d ms, downtime %d ms, rounds %d,"
                        + " max throttle %d %%, %.1f MB/s on the wire, %d MiB sent%s%s%n", link, guest,
                mode.isEmpty() ? "pre-copy, auto-converge" : String.join(" ", mode), report.getStatus(),
                report.getTotalTimeMs(), report.getDowntimeMs(), report.getRounds(), report.getMaxThrottle(),
                report.getThroughputMbps(), report.getBytesOnWire() >> 20,
                report.hasPostcopy() ? String.format(Locale.ROOT, ", post-copy %d ms after the switch at %d ms,"
                                + " %d pages after it, %d faults, latency p50 %d us p99 %d us max %d us",
                        report.getPostcopy().getPostcopyMs(), report.getPostcopy().getSwitchAtMs(),
                        report.getPostcopy().getPagesAfterSwitch(), report.getPostcopy().getFaults(),
                        report.getPostcopy().getFaultLatencyP50Us(), report.getPostcopy().getFaultLatencyP99Us(),
                        report.getPostcopy().getFaultLatencyMaxUs()) : "",
                report.getError().isEmpty() ? "" : " (" + report.getError() + ")");
        System.out.print(line);
        Files.createDirectories(FIGURES.getParent());
        Files.writeString(FIGURES, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
