package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.VcpuFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * kvm_get_dirty_log_protect fetches and clears before copy_to_user: a GET whose copy faults has consumed the bits
 * (the words that fit still reach the caller); with manual protect nothing is cleared, so nothing is lost.
 */
class FaultingDirtyLogGetTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    /** A VM whose 65-page logging slot has pages 1 and 64 dirty. */
    private KvmVm vmWithTwoDirtyPages(PageSize ps, boolean manualProtect) {
        KvmVm vm = vms.mteVm(ps);
        if (manualProtect) {
            vm.enableCap(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
                    KvmConstants.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
        }
        vms.addSlot(vm, 0, BASE, 65, KVM_MEM_LOG_DIRTY_PAGES);
        GuestCpu cpu = ((EmulatedVcpu) vm.createVcpu(0, VcpuFeatures.AARCH64)).cpu;
        cpu.beginStep();
        cpu.store64(BASE + ps.bytes(), 1);
        cpu.store64(BASE + 64L * ps.bytes(), 1);
        cpu.endStep();
        return vm;
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldConsumeTheBitsOfAGetWhoseCopyFaults(PageSize ps) {
        KvmVm vm = vmWithTwoDirtyPages(ps, false);
        long[] tooShort = new long[1];
        assertErrno(Errno.EFAULT, () -> vm.getDirtyLog(0, tooShort));
        assertArrayEquals(new long[] {1L << 1}, tooShort, "the copy stops where the buffer ends");
        long[] bitmap = {-1L, -1L};
        vm.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[2], bitmap, "the failed GET had already fetched and cleared every bit");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldLoseNothingToAFaultingGetWithManualProtect(PageSize ps) {
        KvmVm vm = vmWithTwoDirtyPages(ps, true);
        assertErrno(Errno.EFAULT, () -> vm.getDirtyLog(0, new long[1]));
        long[] bitmap = new long[2];
        vm.getDirtyLog(0, bitmap);
        assertArrayEquals(new long[] {1L << 1, 1L}, bitmap);
    }
}
