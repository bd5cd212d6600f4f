package io.mtemigrate.vmsim.digest;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class RamDigestTest {
    private static SimulatedMachine machine(Fill fill) {
        return SimulatedMachine.boot(EmulatedKvm.withMte(),
                new MachineSpec(64L * 4096, PageSize.SIZE_4K, 1, true, Workload.IDLE, fill, 5, 0, 0));
    }

    @Test
    void shouldSumTheSameHashesWhenRamSpansSeveralParallelParts() {
        int pageSize = 16384;
        try (SimulatedMachine m = SimulatedMachine.boot(EmulatedKvm.withMte(),
                new MachineSpec(130L << 20, PageSize.SIZE_16K, 1, true, Workload.IDLE, Fill.RANDOM, 5, 0, 0))) {
            UserMemoryRegion region = m.vm().memslots().get(0);
            ByteBuffer tags = ByteBuffer.allocateDirect(pageSize / 16);
            long pageByPage = 0;
            for (long page = 0; page < region.memorySize() / pageSize; page++) {
                m.vm().copyMteTags(region.guestPhysAddr() + page * pageSize, pageSize, tags.clear(),
                        KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
                long offset = region.memoryOffset() + page * pageSize;
                pageByPage += RamDigest.pageHash(region.slot(), page, region.memory().chunk(offset),
                        HostMemory.offsetInChunk(offset), pageSize, tags, 0);
            }

            assertEquals(pageByPage, VmDigests.ram(m.vm()));

            long lastPage = region.memorySize() - pageSize;
            region.memory().putLong(lastPage + 8, region.memory().getLong(lastPage + 8) ^ 1);
            assertNotEquals(pageByPage, VmDigests.ram(m.vm()));
        }
    }

    @Test
    void shouldHashHolesAsZeroPagesWithoutReadingThem() throws Exception {
        PageSize ps = PageSize.SIZE_16K;
        int pageSize = ps.bytes();
        try (TestVms vms = new TestVms()) {
            KvmVm vm = vms.mteVm(ps);
            HostMemory memory = vms.addSlot(vm, 0, TestVms.BASE, (130L << 20) / pageSize, 0);
            long lastHostPageOfPage3 = 3L * pageSize + pageSize - 4096;
            memory.putLong(lastHostPageOfPage3 + 8, 7);
            memory.putLong((64L << 20) - 8, 9);  // the last page of the first parallel part
            memory.putLong(64L << 20, 10);       // the first page of the second
            ByteBuffer tags = ByteBuffer.allocateDirect(pageSize / 16);
            tags.put(5, (byte) 3);
            vm.copyMteTags(TestVms.BASE + 100L * pageSize, pageSize, tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);

            long digest = VmDigests.ram(vm);
            assertEquals(3L * pageSize, memory.nextData(0),
                    "the digest read page 3, part data, whole (committing it) and none of the holes before it");
            assertEquals(100L * pageSize, memory.nextData(4L * pageSize), "the digest read no hole between the data");

            long pageByPage = 0;
            for (long page = 0; page < memory.size() / pageSize; page++) {
                vm.copyMteTags(TestVms.BASE + page * pageSize, pageSize, tags.clear(),
                        KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
                pageByPage += RamDigest.pageHash(0, page, memory.chunk(page * pageSize),
                        HostMemory.offsetInChunk(page * pageSize), pageSize, tags, 0);
            }
            assertEquals(pageByPage, digest, "a hole hashes as the zero page it reads as");
        }
    }

    @Test
    void shouldChangeWhenOneDataByteChanges() {
        try (SimulatedMachine m = machine(Fill.RANDOM)) {
            long before = m.ramDigest();
            var memory = m.vm().memslots().get(0).memory();
            memory.putLong(4096 * 7 + 40, memory.getLong(4096 * 7 + 40) ^ (1L << 50));
            assertNotEquals(before, m.ramDigest());
        }
    }

    @Test
    void shouldChangeWhenOneTagChanges() {
        try (SimulatedMachine m = machine(Fill.ZERO)) {
            long before = m.ramDigest();
            ByteBuffer tags = ByteBuffer.allocate(256);
            tags.put(255, (byte) 1);
            m.vm().copyMteTags(MachineSpec.RAM_BASE + 4096 * 3, 4096, tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
            assertNotEquals(before, m.ramDigest());
        }
    }

    @Test
    void shouldDistinguishPagesThatSwapContents() {
        try (SimulatedMachine a = machine(Fill.ZERO)) {
            var memory = a.vm().memslots().get(0).memory();
            memory.putLong(0, 1);
            long first = a.ramDigest();
            memory.putLong(0, 0);
            memory.putLong(4096, 1);
            assertNotEquals(first, a.ramDigest());
        }
    }

    @Test
    void shouldHashZerosLikeAZeroBuffer() {
        ByteBuffer zeros = ByteBuffer.allocateDirect(16384).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PageHash.hash(zeros, 0, 16384, 9), PageHash.hashZeros(16384, 9));
        assertEquals(RamDigest.pageHash(1, 2, zeros, 0, 4096, zeros, 0),
                new PageFingerprint().zeroDataPage(1, 2, 4096, zeros, 0));
    }

    @Test
    void shouldHashAZeroPageWithoutBuffersLikeOneWithZeroBuffers() {
        for (int pageSize : new int[]{4096, 16384, 65536}) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(pageSize).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(RamDigest.pageHash(3, 77, zeros, 0, pageSize, zeros, 0),
                    RamDigest.zeroPageHash(3, 77, pageSize, true), "MTE, " + pageSize);
            assertEquals(RamDigest.pageHash(3, 77, zeros, 0, pageSize, null, 0),
                    RamDigest.zeroPageHash(3, 77, pageSize, false), "no MTE, " + pageSize);
        }
        assertNotEquals(RamDigest.zeroPageHash(3, 77, 4096, true), RamDigest.zeroPageHash(3, 78, 4096, true));
    }

    @Test
    void shouldNotDependOnTheBufferByteOrder() {
        ByteBuffer little = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4096; i++) {
            little.put(i, (byte) (i * 31));
        }
        ByteBuffer big = little.duplicate().order(ByteOrder.BIG_ENDIAN);
        assertEquals(PageHash.hash(little, 0, 4096, 1), PageHash.hash(big, 0, 4096, 1));
    }
}
