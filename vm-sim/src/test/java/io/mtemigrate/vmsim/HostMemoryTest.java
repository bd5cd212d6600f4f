package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.mtemigrate.vmsim.os.OsCallException;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostMemoryTest {
    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void shouldCreateAnEightGibVmWithoutCommittingItsMemory() throws Exception {
        long before = residentBytes();
        long start = System.nanoTime();
        MachineLayout layout = MachineLayout.singleSlot(PageSize.SIZE_4K, true, MachineSpec.RAM_BASE, 8L << 30, 2);
        try (SimulatedMachine machine = SimulatedMachine.create(EmulatedKvm.withMte(), layout)) {
            long millis = (System.nanoTime() - start) / 1_000_000;
            long grown = residentBytes() - before;
            System.out.printf("8 GiB VM created in %d ms, resident memory grew by %d MiB%n", millis, grown >> 20);
            assertTrue(grown < 256L << 20, "an idle 8 GiB VM made the process " + (grown >> 20) + " MiB bigger");
            HostMemory memory = machine.vm().memslots().get(0).memory();
            memory.putLong((8L << 30) - 8, 42);
            assertEquals(42, memory.getLong((8L << 30) - 8));
        }
    }

    @Test
    void shouldReadBackWhatWasWrittenAcrossChunkBoundaries() {
        try (HostMemory memory = HostMemory.anonymous(3L << 30, PageSize.SIZE_64K)) {
            memory.putLong(HostMemory.CHUNK_SIZE - 8, 1);
            memory.putLong(HostMemory.CHUNK_SIZE, 2);
            memory.setTag(HostMemory.CHUNK_SIZE + 16, 7);
            assertEquals(1, memory.getLong(HostMemory.CHUNK_SIZE - 8));
            assertEquals(2, memory.getLong(HostMemory.CHUNK_SIZE));
            assertEquals(7, memory.tag(HostMemory.CHUNK_SIZE + 16));
            assertEquals(0, memory.tag(HostMemory.CHUNK_SIZE));
        }
    }

    @Test
    void shouldFindHolesUntilPagesAreWritten() {
        try (HostMemory memory = HostMemory.anonymous(8L * 4096, PageSize.SIZE_4K)) {
            assertEquals(memory.size(), memory.nextData(0), "a fresh memory is one hole");
            assertEquals(0, memory.nextHole(0));
            memory.putLong(4096 + 8, 1);
            memory.write(3L * 4096, ByteBuffer.allocate(4096), 0, 4096);
            assertEquals(4096, memory.nextData(0));
            assertEquals(2L * 4096, memory.nextHole(4096));
            assertEquals(3L * 4096, memory.nextData(2L * 4096), "a page written with zeros is data");
            assertEquals(4L * 4096, memory.nextHole(3L * 4096));
            assertEquals(memory.size(), memory.nextData(4L * 4096));
            assertEquals(4L * 4096, memory.nextHole(4L * 4096));
        }
    }

    @Test
    void shouldAnswerAtTheEndOfMemory() {
        try (HostMemory memory = HostMemory.anonymous(4L * 4096, PageSize.SIZE_4K)) {
            memory.putLong(3L * 4096, 5);
            assertEquals(memory.size(), memory.nextData(memory.size()));
            assertEquals(memory.size(), memory.nextHole(memory.size()));
            assertEquals(memory.size(), memory.nextHole(3L * 4096), "the end of the file counts as a hole");
            assertEquals(3L * 4096 + 8, memory.nextData(3L * 4096 + 8), "an offset inside data is its own answer");
        }
    }

    @Test
    void shouldFindDataAndHolesAcrossChunkBoundaries() {
        try (HostMemory memory = HostMemory.anonymous(3L << 30, PageSize.SIZE_64K)) {
            long chunk = HostMemory.CHUNK_SIZE;
            memory.putLong(chunk - 8, 1);
            memory.putLong(2 * chunk, 2);
            assertEquals(chunk - 4096, memory.nextData(0));
            assertEquals(chunk, memory.nextHole(chunk - 4096), "the data ends with the first chunk");
            assertEquals(2 * chunk, memory.nextData(chunk));
            assertEquals(2 * chunk + 4096, memory.nextHole(2 * chunk));
            assertEquals(memory.size(), memory.nextData(2 * chunk + 4096));
        }
    }

    @Test
    void shouldCommitAPageTaggedForTheFirstTimeWithoutChangingIt() {
        try (HostMemory memory = HostMemory.anonymous(200L * 4096, PageSize.SIZE_4K)) {
            memory.markTagged(2L * 4096);
            assertEquals(2L * 4096, memory.nextData(0), "a tagged page is never a hole");
            assertEquals(3L * 4096, memory.nextHole(2L * 4096));
            memory.markTagged(60L * 4096, 80);
            assertEquals(60L * 4096, memory.nextData(3L * 4096));
            assertEquals(140L * 4096, memory.nextHole(60L * 4096), "every page of the run is committed");
            for (long offset = 0; offset < memory.size(); offset += 8) {
                assertEquals(0, memory.getLong(offset), "committing changed the data at " + offset);
            }
        }
    }

    @Test
    void shouldKeepContentAndMakeEveryPageDataWhenPrefaulted() {
        try (HostMemory memory = HostMemory.anonymous(64L << 20, PageSize.SIZE_4K)) {
            memory.putLong(5L * 4096 + 16, 0x1234_5678_9abcL);
            memory.setTag(5L * 4096 + 16, 3);
            memory.prefault();
            assertEquals(0, memory.nextData(0));
            assertEquals(memory.size(), memory.nextHole(0), "a prefaulted memory has no holes");
            assertEquals(0x1234_5678_9abcL, memory.getLong(5L * 4096 + 16));
            assertEquals(3, memory.tag(5L * 4096 + 16));
            assertEquals(0, memory.getLong(7L * 4096));
        }
    }

    @Test
    void shouldRefuseTagsInAnOrdinaryFileAndFindItsHoles(@TempDir Path dir) {
        try (HostMemory memory = HostMemory.fileBacked(dir, 16L * 4096, PageSize.SIZE_4K)) {
            assertFalse(memory.canHoldTags());
            memory.putLong(4L * 4096, 9);
            assertEquals(9, memory.getLong(4L * 4096));
            assertEquals(4L * 4096, memory.nextData(0));
        }
    }

    @Test
    void shouldNameTheCallTheErrnoAndTheSizeWhenTheDirectoryIsMissing(@TempDir Path dir) {
        Path missing = dir.resolve("missing");
        OsCallException e = assertThrows(OsCallException.class,
                () -> HostMemory.inDirectory(missing, 1L << 20, PageSize.SIZE_4K));
        assertEquals("open(O_TMPFILE)", e.call());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().contains(missing + " for " + (1L << 20) + " bytes"), e.getMessage());
    }
}
