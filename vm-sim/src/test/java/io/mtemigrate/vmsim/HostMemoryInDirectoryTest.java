package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.os.OsCallException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Guest memory in a chosen tmpfs directory, here a 2 MiB tmpfs of its own: the guest may be larger than the file
 * system (it is sparse), nothing is left there with a name, and closing gives the space back. Needs root to mount
 * the tmpfs; elsewhere the tests say why they skip.
 */
class HostMemoryInDirectoryTest {
    private static final long DISK = 2L << 20;

    @TempDir
    Path dir;
    private Path disk;

    private static boolean run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor() == 0;
    }

    @BeforeEach
    void mount() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a small tmpfs");
        Path mountPoint = Files.createDirectory(dir.resolve("small-tmpfs"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + DISK, "tmpfs", mountPoint.toString()),
                "mount -t tmpfs failed: cannot make a small tmpfs here");
        disk = mountPoint;
    }

    @AfterEach
    void unmount() throws Exception {
        if (disk != null) {
            // Lazily: the closed memory stays mapped (so busy) until the GC unmaps it.
            run("umount", "-l", disk.toString());
        }
    }

    private long usedBytes() throws IOException {
        var store = Files.getFileStore(disk);
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    private long entries() throws IOException {
        try (Stream<Path> files = Files.list(disk)) {
            return files.count();
        }
    }

    @Test
    void shouldHoldALargerSparseGuestWithTagsAndGiveTheSpaceBackOnClose() throws IOException {
        HostMemory memory = HostMemory.inDirectory(disk, 64L << 20, PageSize.SIZE_4K);
        try {
            assertTrue(memory.canHoldTags());
            assertEquals(0, entries(), "the memory file has no name in the directory");
            memory.putLong(40L << 20, 11);
            memory.setTag(40L << 20, 5);
            assertEquals(11, memory.getLong(40L << 20));
            assertEquals(5, memory.tag(40L << 20));
            assertEquals(40L << 20, memory.nextData(0));
            assertEquals((40L << 20) + 4096, memory.nextHole(40L << 20));
            assertTrue(usedBytes() >= 4096, "the written page lives on the small tmpfs: " + usedBytes() + " bytes used");
        } finally {
            memory.close();
        }
        assertEquals(0, usedBytes(), "closing gave the pages back");
        assertEquals(0, entries());
    }

    @Test
    void shouldFailPrefaultWithTheCallAndErrnoWhenTheTmpfsIsTooSmall() throws IOException {
        try (HostMemory memory = HostMemory.inDirectory(disk, 16L << 20, PageSize.SIZE_4K)) {
            OsCallException e = assertThrows(OsCallException.class, memory::prefault);
            assertEquals("madvise(MADV_POPULATE_WRITE)", e.call(), e.getMessage());
            assertEquals("EFAULT", e.errnoName(), e.getMessage());
            assertTrue(e.getMessage().contains((16L << 20) + " bytes of"), "the message names the sizes: " + e.getMessage());
        }
        assertEquals(0, usedBytes(), "closing gave back what the prefault had committed");
    }
}
