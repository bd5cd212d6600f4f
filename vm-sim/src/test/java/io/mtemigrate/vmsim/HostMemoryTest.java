package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void shouldKnowWhichPagesWereNeverWritten() {
        try (HostMemory memory = HostMemory.anonymous(8L * 4096, PageSize.SIZE_4K)) {
            memory.prefault();
            assertTrue(memory.isHole(0), "prefaulting commits pages but leaves them zero: still holes");
            memory.putLong(4096 + 8, 1);
            memory.write(3L * 4096, java.nio.ByteBuffer.allocate(4096), 0, 4096);
            memory.markWritten(5L * 4096);
            memory.markTagged(6L * 4096);
            assertTrue(memory.isHole(0));
            assertTrue(!memory.isHole(4096) && !memory.isHole(3L * 4096) && !memory.isHole(5L * 4096));
            assertTrue(!memory.isHole(6L * 4096), "a tagged page is not a hole");
            assertTrue(memory.isHole(7L * 4096));
        }
    }
}
