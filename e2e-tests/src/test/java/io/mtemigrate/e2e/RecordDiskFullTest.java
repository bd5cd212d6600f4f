package io.mtemigrate.e2e;

import io.mtemigrate.cli.InProcessCli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * `record` onto a disk that fills up: a clear error and nothing left behind that looks like a recording. Needs
 * root to mount a 2 MiB tmpfs as the full disk; CI runs as root, elsewhere the test says why it skips.
 */
class RecordDiskFullTest {
    @TempDir
    Path dir;
    private Path disk;

    private static boolean run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor() == 0;
    }

    @AfterEach
    void unmount() throws Exception {
        if (disk != null) {
            run("umount", disk.toString());
        }
    }

    @Test
    void shouldFailCleanlyWhenTheDiskFillsUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a small tmpfs as a full disk");
        Path mountPoint = Files.createDirectory(dir.resolve("small-disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.toString()),
                "mount -t tmpfs failed: cannot make a small disk here");
        disk = mountPoint;
        Path out = disk.resolve("guest.mtes");
        InProcessCli.Result result = InProcessCli.runCapturing("record", "--out", out.toString(), "--ram", "32M",
                "--workload", "idle", "--steps", "1000", "--quiet", "--json", dir.resolve("r.json").toString());
        assertEquals(1, result.status(), result.err());
        assertTrue(result.err().contains("No space left on device") || result.err().contains(out.toString()),
                "one clear line naming the problem: " + result.err());
        try (Stream<Path> left = Files.list(disk)) {
            assertEquals(0, left.count(), "nothing may be left on the disk that looks like a recording");
        }
    }
}
