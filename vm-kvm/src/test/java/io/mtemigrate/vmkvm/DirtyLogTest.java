package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmsim.vmm.RamSlot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM's dirty log, fetched and cleared the way a migration does, holds exactly the pages the guest wrote. */
class DirtyLogTest {
    /** 16,384 pages, so that the pages written between two pauses are a small, checkable part of them. */
    private static final KvmGuestSpec SPEC = KvmGuestSpec.of(64L << 20, 2, 11, 400_000).withExitInterval(1024);

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldReportThePagesWrittenSinceTheLastFetchAndEachOnlyOnce() {
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.logDirtyPages(true);
            assertEquals(new BitSet(), fetch(vm, 1), "nothing ran yet");
            vm.start();

            long[] from = {0, 0};
            for (int round = 0; round < 3; round++) {
                long[] exits = {vm.exits(0), vm.exits(1)};
                KvmTests.soon().until(() -> vm.exits(0) > exits[0] && vm.exits(1) > exits[1]);
                vm.pauseVcpus();
                long[] to = vm.vcpuSteps();
                assertTrue(to[0] < SPEC.steps() && to[1] < SPEC.steps(), "still running at the pause");

                BitSet expected = GuestModel.pagesWritten(SPEC, 0, from[0], to[0]);
                expected.or(GuestModel.pagesWritten(SPEC, 1, from[1], to[1]));
                BitSet dirty = fetch(vm, 1);
                assertEquals(expected, dirty, "round " + round + ": steps " + from[0] + ".." + to[0] + " and "
                        + from[1] + ".." + to[1]);
                assertTrue(dirty.cardinality() < 16_384 / 2, "a discriminating sample: " + dirty.cardinality());
                assertEquals(new BitSet(), fetch(vm, 1), "cleared pages are not reported again");
                assertEquals(new BitSet(), fetch(vm, 0), "nobody writes the code slot");

                from = to;
                vm.resumeVcpus();
            }
        }
    }

    @Test
    void shouldRefuseToFetchWithoutLogging() {
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            KvmIoctlException e = assertThrows(KvmIoctlException.class, () -> fetch(vm, 1));
            assertEquals(KvmIoctl.KVM_GET_DIRTY_LOG, e.ioctl());
            assertTrue(e.getMessage().startsWith("KVM_GET_DIRTY_LOG failed with ENOENT"), e.getMessage());
            vm.logDirtyPages(true);
            vm.logDirtyPages(false);
            assertThrows(KvmIoctlException.class, () -> fetch(vm, 1));
        }
    }

    @Test
    void shouldRefuseABitmapTooSmallForTheSlot() {
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.logDirtyPages(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vm.fetchDirtyPages(1, new long[255]));
            assertTrue(e.getMessage().contains("need a bitmap of 256 words"), e.getMessage());
        }
    }

    private static BitSet fetch(KvmMachine vm, int slotIndex) {
        RamSlot slot = vm.ramSlots().get(slotIndex);
        long[] bitmap = new long[Math.toIntExact((slot.size() / 4096 + 63) / 64)];
        vm.fetchDirtyPages(slotIndex, bitmap);
        return BitSet.valueOf(bitmap);
    }
}
