package io.mtemigrate.vmsim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_READONLY;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM_SET_USER_MEMORY_REGION's checks, in the kernel's order. */
class MemoryRegionTest {
    private static final PageSize PS = PageSize.SIZE_4K;
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    @Test
    void shouldRejectUnknownFlagsAndUnalignedValues() {
        KvmVm vm = vms.mteVm(PS);
        HostMemory memory = vms.memory(16L * PS.bytes(), PS);
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 4, BASE, memory.size(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, 100, memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE + 8, memory.size(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, PS.bytes(), memory, 8)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, 2 * memory.size(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(1 << 16, 0, BASE, memory.size(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(Short.MAX_VALUE, 0, BASE, memory.size(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, -PS.bytes(), memory.size(), memory, 0)));
        assertTrue(vm.memslots().isEmpty());
    }

    @Test
    void shouldRejectOverlappingSlots() {
        KvmVm vm = vms.mteVm(PS);
        vms.addSlot(vm, 0, BASE, 16, 0);
        HostMemory other = vms.memory(16L * PS.bytes(), PS);
        assertErrno(Errno.EEXIST, () -> vm.setUserMemoryRegion(new UserMemoryRegion(1, 0, BASE + 8L * PS.bytes(), other.size(), other, 0)));
        vm.setUserMemoryRegion(new UserMemoryRegion(1, 0, BASE + 16L * PS.bytes(), other.size(), other, 0));
        assertEquals(2, vm.memslots().size());
    }

    @Test
    void shouldRejectSlotsBeyondTheIpaSpace() {
        KvmVm vm = vms.mteVm(PS);
        HostMemory memory = vms.memory(16L * PS.bytes(), PS);
        long end = 1L << KvmConstants.DEFAULT_IPA_BITS;
        assertErrno(Errno.EFAULT, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, end - PS.bytes(), memory.size(), memory, 0)));
    }

    @Test
    void shouldOnlyLetAnExistingSlotMoveOrChangeItsLoggingFlag() {
        KvmVm vm = vms.mteVm(PS);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 16, 0);
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, 8L * PS.bytes(), memory, 0)));
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, KVM_MEM_READONLY, BASE, memory.size(), memory, 0)));
        vm.setUserMemoryRegion(new UserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, BASE, memory.size(), memory, 0));
        assertEquals(KVM_MEM_LOG_DIRTY_PAGES, vm.memslots().get(0).flags());
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE + memory.size(), memory.size(), memory, 0));
        assertEquals(BASE + memory.size(), vm.memslots().get(0).guestPhysAddr());
    }

    @Test
    void shouldDeleteASlotWithSizeZeroAndRefuseToDeleteAMissingOne() {
        KvmVm vm = vms.mteVm(PS);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 16, 0);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, 0, memory, 0));
        assertTrue(vm.memslots().isEmpty());
        assertErrno(Errno.EINVAL, () -> vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, 0, memory, 0)));
    }

    @Test
    void shouldKeepTagsWithTheHostPagesAcrossASlotMove() {
        KvmVm vm = vms.mteVm(PS);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 1, 0);
        java.nio.ByteBuffer tags = TestVms.tagBuffer(PS, 1);
        tags.put(3, (byte) 11);
        vm.copyMteTags(BASE, PS.bytes(), tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE + PS.bytes(), memory.size(), memory, 0));
        java.nio.ByteBuffer read = TestVms.tagBuffer(PS, 1);
        vm.copyMteTags(BASE + PS.bytes(), PS.bytes(), read, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertEquals(11, read.get(3));
    }
}
