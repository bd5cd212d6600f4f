package io.mtemigrate.vmsim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.mtemigrate.vmsim.KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG as kvm_main.c implements them. */
class DirtyLogTest {
    private static final PageSize PS = PageSize.SIZE_4K;
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    @Test
    void shouldAnswerEnoentForASlotWithoutLogging() {
        KvmVm vm = vms.mteVm(PS);
        vms.addSlot(vm, 0, BASE, 64, 0);
        assertErrno(Errno.ENOENT, () -> vm.getDirtyLog(0, new long[1]));
        assertErrno(Errno.ENOENT, () -> vm.getDirtyLog(5, new long[1]));
        assertErrno(Errno.ENOENT, () -> vm.clearDirtyLog(0, 0, 64, new long[1]));
    }

    @Test
    void shouldAnswerEinvalForAnOutOfRangeSlot() {
        KvmVm vm = vms.mteVm(PS);
        assertErrno(Errno.EINVAL, () -> vm.getDirtyLog(1 << 16, new long[1]));
        assertErrno(Errno.EINVAL, () -> vm.getDirtyLog(Short.MAX_VALUE, new long[1]));
        assertErrno(Errno.EINVAL, () -> vm.clearDirtyLog(1 << 16, 0, 64, new long[1]));
    }

    @Test
    void shouldUseAlignedBitmapSizeAndFaultOnAShortBuffer() {
        KvmVm vm = vms.mteVm(PS);
        vms.addSlot(vm, 0, BASE, 65, KVM_MEM_LOG_DIRTY_PAGES);
        assertErrno(Errno.EFAULT, () -> vm.getDirtyLog(0, new long[1]));
        vm.getDirtyLog(0, new long[2]);
    }

    @Test
    void shouldStartEmptyOrAllSetWithInitiallySet() {
        KvmVm vm = vms.mteVm(PS);
        vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 3);
        vms.addSlot(vm, 0, BASE, 70, KVM_MEM_LOG_DIRTY_PAGES);
        long[] bitmap = new long[2];
        vm.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[] {-1L, (1L << 6) - 1}, bitmap);

        KvmVm plain = vms.mteVm(PS);
        vms.addSlot(plain, 0, BASE, 70, KVM_MEM_LOG_DIRTY_PAGES);
        plain.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[2], bitmap);
    }

    @Test
    void shouldKeepBitsUntilClearedWithManualProtect() {
        KvmVm vm = vms.mteVm(PS);
        vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 3);
        vms.addSlot(vm, 0, BASE, 128, KVM_MEM_LOG_DIRTY_PAGES);
        long[] bitmap = new long[2];
        vm.getDirtyLog(0, bitmap);
        vm.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[] {-1L, -1L}, bitmap, "GET does not clear with manual protect");
        vm.clearDirtyLog(0, 64, 64, new long[] {0xF0L});
        vm.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[] {-1L, ~0xF0L}, bitmap);
    }

    @Test
    void shouldRejectMisalignedClears() {
        KvmVm vm = vms.mteVm(PS);
        vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 1);
        vms.addSlot(vm, 0, BASE, 200, KVM_MEM_LOG_DIRTY_PAGES);
        assertErrno(Errno.EINVAL, () -> vm.clearDirtyLog(0, 1, 64, new long[1]));
        assertErrno(Errno.EINVAL, () -> vm.clearDirtyLog(0, 256, 0, new long[1]));
        assertErrno(Errno.EINVAL, () -> vm.clearDirtyLog(0, 128, 73, new long[2]));
        assertErrno(Errno.EINVAL, () -> vm.clearDirtyLog(0, 0, 63, new long[1]));
        // Reaching the slot's end is the one case where num_pages need not be a multiple of 64.
        vm.clearDirtyLog(0, 128, 72, new long[2]);
        vm.clearDirtyLog(0, 192, 8, new long[1]);
        assertErrno(Errno.EFAULT, () -> vm.clearDirtyLog(0, 0, 128, new long[1]));
    }
}
