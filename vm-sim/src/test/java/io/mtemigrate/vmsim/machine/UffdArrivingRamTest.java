package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.vmm.ArrivingRam;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The emulator's post-copy RAM as the engine uses it: expected pages are dropped (stale data and tags gone) and
 * missing; installs put data and tags in together and skip a page that is present already.
 */
class UffdArrivingRamTest {
    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDropExpectedPagesAndInstallEachOnceWithItsTags(PageSize pageSize) throws Exception {
        MachineSpec spec = new MachineSpec(8L * pageSize.bytes(), pageSize, 1, true, Workload.IDLE, Fill.RANDOM, 3, 1, 0);
        try (SimulatedMachine vm = SimulatedMachine.boot(EmulatedKvm.withMte(), spec);
             ArrivingRam ram = vm.openArrivingRam().orElseThrow()) {
            long base = vm.ramSlots().getFirst().guestPhysAddr();
            ram.expect(0, new long[] {0b0110});
            assertEquals(pageSize.bytes(), vm.ramSlots().getFirst().nextHole(pageSize.bytes()) , "page 1 is a hole again");

            int tagsPerPage = pageSize.tagsPerPage();
            ByteBuffer data = ByteBuffer.allocateDirect(2 * pageSize.bytes());
            for (int i = 0; i < data.capacity(); i++) {
                data.put(i, (byte) (i * 7));
            }
            ByteBuffer tags = ByteBuffer.allocateDirect(2 * tagsPerPage);
            for (int i = 0; i < tags.capacity(); i++) {
                tags.put(i, (byte) (i % 15 + 1));
            }
            assertEquals(1, ram.install(0, 1, 1, data, tags));
            // Page 1 is in now: a second copy of pages 1..2 installs page 2 only.
            assertEquals(1, ram.install(0, 1, 2, data, tags));
            assertEquals(0, data.position(), "the buffers' positions are the caller's");

            ByteBuffer read = ByteBuffer.allocate(tagsPerPage);
            vm.vm().copyMteTags(base + 2L * pageSize.bytes(), pageSize.bytes(), read, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            byte[] expected = new byte[tagsPerPage];
            tags.get(tagsPerPage, expected);
            assertArrayEquals(expected, read.array(), "page 2 got its own tags, from the second install");
            assertEquals((byte) (pageSize.bytes() * 7), vm.ramSlots().getFirst().chunk(2L * pageSize.bytes())
                    .get(vm.ramSlots().getFirst().offsetInChunk(2L * pageSize.bytes())));
            assertTrue(ram.awaitFault(Duration.ZERO).isEmpty());
        }
    }
}
