package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.emu.EmulatedKvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;

import static io.mtemigrate.vmsim.KvmConstants.KVM_CAP_ARM_MTE;
import static io.mtemigrate.vmsim.KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM_CHECK_EXTENSION, KVM_ENABLE_CAP(KVM_CAP_ARM_MTE) and what MTE changes for vCPUs and memslots. */
class EnableCapTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    @Test
    void shouldReportMteOnlyWhenTheHardwareHasIt() {
        assertEquals(1, new EmulatedKvm(true).checkExtension(KVM_CAP_ARM_MTE));
        assertEquals(0, new EmulatedKvm(false).checkExtension(KVM_CAP_ARM_MTE));
        assertEquals(3, new EmulatedKvm(true).checkExtension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
        assertEquals(0, new EmulatedKvm(true).checkExtension(99999));
    }

    @Test
    void shouldAnswerReadonlyMemAndAcceptAReadOnlySlot() {
        assertEquals(1, new EmulatedKvm(true).checkExtension(KvmConstants.KVM_CAP_READONLY_MEM));
        KvmVm vm = vms.mteVm(PageSize.SIZE_4K);
        vms.addSlot(vm, 0, BASE, 4, KvmConstants.KVM_MEM_READONLY);
        assertTrue(vm.memslots().get(0).readOnly());
    }

    @Test
    void shouldOfferAarch32El1AndAcceptSuchAVcpuWithoutMte() {
        assertEquals(1, new EmulatedKvm(true).checkExtension(KvmConstants.KVM_CAP_ARM_EL1_32BIT));
        assertEquals(1, new EmulatedKvm(false).checkExtension(KvmConstants.KVM_CAP_ARM_EL1_32BIT));
        KvmVm plain = vms.track(new EmulatedKvm(false).createVm(PageSize.SIZE_4K));
        assertTrue(plain.createVcpu(0, VcpuFeatures.AARCH32).features().el1Aarch32());
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldAcceptMemslotsUpToTheIpaSizeItAnswersAndNoFurther(PageSize ps) {
        int bits = new EmulatedKvm(true).checkExtension(KvmConstants.KVM_CAP_ARM_VM_IPA_SIZE);
        assertTrue(bits >= 40, "KVM_CAP_ARM_VM_IPA_SIZE is at least 40, got " + bits);
        long end = 1L << bits;
        KvmVm vm = vms.mteVm(ps);
        HostMemory page = vms.memory(ps.bytes(), ps);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, end - ps.bytes(), page.size(), page, 0));
        assertEquals(1, vm.memslots().size(), "a slot ending at 2^" + bits + " fits");
        KvmVm other = vms.mteVm(ps);
        HostMemory straddling = vms.memory(2L * ps.bytes(), ps);
        assertErrno(Errno.EFAULT, () -> other.setUserMemoryRegion(new UserMemoryRegion(0, 0, end - ps.bytes(),
                straddling.size(), straddling, 0)));
        assertErrno(Errno.EFAULT, () -> other.setUserMemoryRegion(new UserMemoryRegion(0, 0, end, page.size(), page, 0)));
        assertTrue(other.memslots().isEmpty());
    }

    @Test
    void shouldRejectMteWithFlags() {
        KvmVm vm = vms.plainVm(PageSize.SIZE_4K);
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_ARM_MTE, 1, 0));
        assertFalse(vm.mteEnabled());
    }

    @Test
    void shouldRejectMteOnHardwareWithoutIt() {
        KvmVm vm = vms.track(new EmulatedKvm(false).createVm(PageSize.SIZE_4K));
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_ARM_MTE, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectMteAfterAVcpuExists(PageSize ps) {
        KvmVm vm = vms.plainVm(ps);
        vm.createVcpu(0, VcpuFeatures.AARCH64);
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_ARM_MTE, 0, 0));
        assertFalse(vm.mteEnabled());
    }

    @Test
    void shouldAcceptMteTwiceBeforeVcpus() {
        KvmVm vm = vms.mteVm(PageSize.SIZE_4K);
        vm.enableCap(KVM_CAP_ARM_MTE, 0, 0);
        assertTrue(vm.mteEnabled());
    }

    @Test
    void shouldRejectAnAarch32VcpuOnceMteIsOn() {
        KvmVm vm = vms.mteVm(PageSize.SIZE_4K);
        assertErrno(Errno.EINVAL, () -> vm.createVcpu(0, VcpuFeatures.AARCH32));
        assertTrue(vm.vcpus().isEmpty());
        KvmVm plain = vms.plainVm(PageSize.SIZE_4K);
        assertEquals(0, plain.createVcpu(0, VcpuFeatures.AARCH32).id());
    }

    @Test
    void shouldRejectDuplicateAndOutOfRangeVcpuIds() {
        KvmVm vm = vms.mteVm(PageSize.SIZE_4K);
        vm.createVcpu(0, VcpuFeatures.AARCH64);
        assertErrno(Errno.EEXIST, () -> vm.createVcpu(0, VcpuFeatures.AARCH64));
        assertErrno(Errno.EINVAL, () -> vm.createVcpu(KvmConstants.KVM_MAX_VCPUS, VcpuFeatures.AARCH64));
        assertErrno(Errno.EINVAL, () -> vm.createVcpu(-1, VcpuFeatures.AARCH64));
    }

    @Test
    void shouldRequireTheSameFeaturesOnEveryVcpu() {
        KvmVm vm = vms.plainVm(PageSize.SIZE_4K);
        vm.createVcpu(0, VcpuFeatures.AARCH64);
        assertErrno(Errno.EINVAL, () -> vm.createVcpu(1, VcpuFeatures.AARCH32));
    }

    @Test
    void shouldListMteSystemRegistersOnlyWhenMteIsOn() {
        KvmVm mte = vms.mteVm(PageSize.SIZE_4K);
        assertNotNull(mte.createVcpu(0, VcpuFeatures.AARCH64).getState().mte());
        KvmVm plain = vms.plainVm(PageSize.SIZE_4K);
        KvmVcpu vcpu = plain.createVcpu(0, VcpuFeatures.AARCH64);
        assertNull(vcpu.getState().mte());
        VcpuState withMte = new VcpuState(new long[31], 0, 0, 0, 0, 0, 0, new MteSysRegs(1, 2, 3, 4));
        assertErrno(Errno.ENOENT, () -> vcpu.setState(withMte));
    }

    @Test
    void shouldRoundTripEveryRegisterIncludingMteSystemRegisters() {
        KvmVcpu vcpu = vms.mteVm(PageSize.SIZE_4K).createVcpu(0, VcpuFeatures.AARCH64);
        long[] x = new long[31];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0x1111L;
        }
        VcpuState state = new VcpuState(x, 0x1000, 0x2_0000_0001L, VcpuState.PSTATE_TCO, 1L << 38, 42, 3,
                new MteSysRegs(0x10001, MteSysRegs.rgsr(7, 0xBEEF), 1, 2));
        vcpu.setState(state);
        assertEquals(state, vcpu.getState());
    }

    @Test
    void shouldRejectMemoryThatCannotHoldTagsOnceMteIsOn(@org.junit.jupiter.api.io.TempDir Path dir) {
        PageSize ps = PageSize.SIZE_4K;
        HostMemory file = vms.track(HostMemory.fileBacked(dir, 16L * ps.bytes(), ps));
        KvmVm mte = vms.mteVm(ps);
        assertErrno(Errno.EINVAL, () -> mte.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, file.size(), file, 0)));
        assertTrue(mte.memslots().isEmpty());
        KvmVm plain = vms.plainVm(ps);
        plain.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, file.size(), file, 0));
        assertEquals(1, plain.memslots().size());
    }

    @Test
    void shouldRejectManualDirtyLogOptionsWithoutEnable() {
        KvmVm vm = vms.mteVm(PageSize.SIZE_4K);
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, KvmConstants.KVM_DIRTY_LOG_INITIALLY_SET));
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 1, 1));
        assertErrno(Errno.EINVAL, () -> vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 4 | 1));
        vm.enableCap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 3);
        assertErrno(Errno.EINVAL, () -> vm.enableCap(12345, 0, 0));
    }
}
