package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.cli.InProcessCli;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Guest memory the host cannot hold: refused with the numbers before any of it is committed (an arriving VM, a
 * preallocation, a guest to boot), and memory that stops being backable later (its tmpfs fills up) fails that
 * one migration cleanly instead of taking the process down. Needs root to mount a small tmpfs as the host's
 * memory; CI runs as root, elsewhere the tests say why they skip.
 */
@Timeout(120)
class HostMemoryLimitsTest {
    private static final Path LAUNCHER = Path.of("..", "mte-migrate").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    private Path memory;
    private final List<Process> processes = new ArrayList<>();

    private static boolean run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor() == 0;
    }

    /** A tmpfs of {@code megabytes} as the only memory guests may have. */
    private Path smallMemory(int megabytes) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a small tmpfs as host memory");
        Path mountPoint = Files.createDirectory(dir.resolve("memory"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", mountPoint.toString()),
                "mount -t tmpfs failed: cannot make a small host memory here");
        memory = mountPoint;
        return mountPoint;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        if (memory != null) {
            // Lazily: an in-process run's mappings of truncated memory files go only when the GC frees them.
            run("umount", "-l", memory.toString());
        }
    }

    private long used() throws IOException {
        return Files.getFileStore(memory).getTotalSpace() - Files.getFileStore(memory).getUnallocatedSpace();
    }

    @Test
    void shouldRefuseAnArrivingVmLargerThanTheMemoryItCanCommitBeforeAnyPageMoves() throws Exception {
        Path small = smallMemory(16);
        MachineSpec guest = new MachineSpec(32L << 20, PageSize.SIZE_4K, 2, true, Workload.IDLE, Fill.RANDOM, 3,
                1_000, 0);
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withVms(new EmulatorVmFactory(true, small, 0, PageSize.SIZE_4K)));
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), guest)) {
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);

            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("during handshake: the target refused: RAM_LIMIT: not enough free"
                    + " host memory for a VM with 32.0 MiB of RAM and its MTE tags: it needs 34.0 MiB and this host"
                    + " can commit 16.0 MiB"), report.getError());
            assertEquals(0, report.getPagesSent(), "refused before any page moved");
            assertFalse(source.vm().vcpusPaused(), "the guest runs on at the source");
            assertEquals(0, target.server.activeMigrations());
            assertEquals(0, used(), "nothing committed in the target's memory");
        }
    }

    @Test
    void shouldRefuseAPreallocationLargerThanTheMemoryItCanCommit() throws Exception {
        Path small = smallMemory(16);

        InProcessCli.Result result = InProcessCli.runCapturing("target", "--listen", "127.0.0.1:0", "--once",
                "--prealloc", "32M", "--memory-dir", small.toString());

        assertEquals(1, result.status(), result.err());
        assertEquals("mte-migrate: not enough free host memory for preallocating 32.0 MiB of guest memory with its"
                + " MTE tags: it needs 34.0 MiB and this host can commit 16.0 MiB", result.err().lines()
                .filter(line -> line.startsWith("mte-migrate: not enough")).findFirst().orElse(result.err())
                .replaceAll(" \\(MemAvailable.*", ""));
        assertTrue(result.err().contains(small + " has 16.0 MiB free"), result.err());
        assertEquals(0, used(), "nothing committed");
    }

    @Test
    void shouldRefuseToBootAGuestWhoseFillTheHostCannotBack() throws Exception {
        Path small = smallMemory(48);

        // The target's preallocation takes 34 MiB of the 48: the source's random fill would need as much again.
        InProcessCli.Result result = InProcessCli.runCapturing("demo", "--ram", "32M", "--fill", "random",
                "--workload", "idle", "--steps", "100", "--quiet", "--memory-dir", small.toString());

        assertEquals(1, result.status(), result.err());
        assertTrue(result.err().contains("mte-migrate: not enough free host memory for a 32.0 MiB guest with fill"
                + " random running idle for 100 steps: it needs 34.0 MiB and this host can commit 14.0 MiB"),
                result.err());
        assertEquals(0, used(), "the target's preallocation was given back");
    }

    @Test
    void shouldBootAndMigrateAZeroGuestThatCostsNothingUntilWritten() throws Exception {
        Path small = smallMemory(48);

        InProcessCli.Result result = InProcessCli.runCapturing("demo", "--ram", "32M", "--fill", "zero",
                "--workload", "idle", "--steps", "100", "--quiet", "--no-prealloc", "--memory-dir", small.toString());

        assertEquals(0, result.status(), result.err());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Process launch(String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .start();
        processes.add(process);
        return process;
    }

    private String output(String name) throws IOException {
        return "--- " + name + " stdout:\n" + Files.readString(dir.resolve(name + ".out"))
                + "--- " + name + " stderr:\n" + Files.readString(dir.resolve(name + ".err"));
    }

    /** Writes zeros into {@code file} until the file system says it is full. */
    private static void fillUp(Path file) {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // No space left on device: that is the point.
        }
    }

    @Test
    void shouldFailTheMigrationCleanlyWhenTheTargetsMemoryFillsUpAfterAdmission() throws Exception {
        Path small = smallMemory(48);
        int port = freePort();
        Process target = launch("target", "target", "--listen", "127.0.0.1:" + port, "--once", "--memory-dir",
                small.toString(), "--json", "t.json");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> !target.isAlive() || listening(port));
        // 32 MiB of random pages at 4 MiB/s: eight seconds in which the target's memory file grows.
        Process source = launch("source", "source", "--connect", "127.0.0.1:" + port, "--ram", "32M", "--fill",
                "random", "--workload", "idle", "--steps", "1000", "--max-bandwidth", "4M", "--json", "s.json");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> !source.isAlive() || used() > 2L << 20);
        assertTrue(source.isAlive(), output("source"));
        Path filler = small.resolve("filler");
        fillUp(filler);

        assertTrue(source.waitFor(60, TimeUnit.SECONDS), output("source"));
        assertTrue(target.waitFor(30, TimeUnit.SECONDS), output("target"));
        assertEquals(1, target.exitValue(), "the target ends its --once run with a failed migration, not a crash\n"
                + output("target"));
        assertEquals(1, source.exitValue(), output("source"));
        String reason = "the host could not back the guest's memory: a write to its memory file in " + small
                + " faulted, because that file system is full or the host is out of memory";
        MigrationReport arrived = ReportJson.parse(Files.readString(dir.resolve("t.json")));
        assertEquals("failed", arrived.getStatus());
        assertTrue(arrived.getError().startsWith(reason), arrived.getError());
        MigrationReport sent = ReportJson.parse(Files.readString(dir.resolve("s.json")));
        assertEquals("failed", sent.getStatus());
        assertTrue(sent.getError().contains("the target refused: VM_ERROR: " + reason), sent.getError());
        assertFalse(sent.getFinalDigest().isEmpty(), "the guest ran on at the source to the end of its steps");
        Files.delete(filler);
        assertEquals(0, used(), "the target discarded its VM and gave its memory back");
    }
}
