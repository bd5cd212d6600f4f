package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** kvm_prepare_memory_region: a KVM_MR_MOVE of a slot that logs and keeps logging keeps its dirty bitmap. */
class MovedSlotDirtyLogTest {
    private static final long PAGES = 70;
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    private static void move(KvmVm vm, long to) {
        UserMemoryRegion slot = vm.memslots().get(0);
        vm.setUserMemoryRegion(new UserMemoryRegion(slot.slot(), slot.flags(), to, slot.memorySize(), slot.memory(),
                slot.memoryOffset()));
    }

    private static long[] get(KvmVm vm) {
        long[] bitmap = new long[2];
        vm.getDirtyLog(0, bitmap);
        return bitmap;
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldStillReportPagesDirtiedBeforeTheMove(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, PAGES, KVM_MEM_LOG_DIRTY_PAGES);
        GuestCpu cpu = ((EmulatedVcpu) vm.createVcpu(0, VcpuFeatures.AARCH64)).cpu;
        cpu.beginStep();
        cpu.store64(BASE + 2L * ps.bytes(), 1);
        cpu.store64(BASE + 66L * ps.bytes(), 1);
        cpu.endStep();

        long moved = BASE + 128L * ps.bytes();
        move(vm, moved);
        assertArrayEquals(new long[] {1L << 2, 1L << 2}, get(vm), "the move forgot pages dirtied before it");

        cpu.beginStep();
        cpu.store64(moved + 5L * ps.bytes(), 1);
        cpu.endStep();
        assertArrayEquals(new long[] {1L << 5, 0}, get(vm), "pages are counted from the slot's new base");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldKeepBitsClearedBeforeTheMoveClearWithInitiallySet(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vm.enableCap(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, KvmConstants.KVM_DIRTY_LOG_MANUAL_CAPS);
        vms.addSlot(vm, 0, BASE, PAGES, KVM_MEM_LOG_DIRTY_PAGES);
        vm.clearDirtyLog(0, 0, 64, new long[] {0xF0L});
        vm.clearDirtyLog(0, 64, (int) PAGES - 64, new long[] {0b10});

        move(vm, BASE + 128L * ps.bytes());
        assertArrayEquals(new long[] {~0xF0L, 0b111101}, get(vm), "the move set cleared bits again");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldStartAFreshBitmapWhenTheMoveTurnsLoggingOn(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vm.enableCap(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, KvmConstants.KVM_DIRTY_LOG_MANUAL_CAPS);
        UserMemoryRegion plain = new UserMemoryRegion(0, 0, BASE, PAGES * ps.bytes(), vms.memory(PAGES * ps.bytes(), ps), 0);
        vm.setUserMemoryRegion(plain);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, BASE + 128L * ps.bytes(),
                plain.memorySize(), plain.memory(), 0));
        assertArrayEquals(new long[] {-1L, (1L << (PAGES - 64)) - 1}, get(vm));
    }
}
