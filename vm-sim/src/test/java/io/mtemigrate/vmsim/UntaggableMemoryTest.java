package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.ProgramRegisters;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.tagBuffer;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * A memslot whose host memory cannot hold tags (the kernel's !VM_MTE_ALLOWED), made before MTE was enabled, as
 * mmu.c and guest.c treat it: a guest access fails only that vCPU's KVM_RUN with EFAULT; FROM_GUEST reads zeros.
 */
class UntaggableMemoryTest {
    private static final long PAGES = 8;
    private final TestVms vms = new TestVms();

    @TempDir
    Path dir;

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    /** An MTE VM with anonymous slot 0 at BASE and file-backed slot 1 right after it, both made before MTE. */
    private KvmVm vmWithAFileSlotMadeBeforeMte(PageSize ps) {
        KvmVm vm = vms.track(EmulatedKvm.withMte().createVm(ps));
        vms.addSlot(vm, 0, BASE, PAGES, 0);
        HostMemory file = vms.track(HostMemory.fileBacked(dir, PAGES * ps.bytes(), ps));
        vm.setUserMemoryRegion(new UserMemoryRegion(1, 0, fileSlotBase(ps), file.size(), file, 0));
        vm.enableCap(KvmConstants.KVM_CAP_ARM_MTE, 0, 0);
        return vm;
    }

    private static long fileSlotBase(PageSize ps) {
        return BASE + PAGES * ps.bytes();
    }

    private static VcpuState streamOver(long base, long size) {
        long[] x = new long[VcpuState.GENERAL_REGISTERS];
        x[ProgramRegisters.REGION_BASE] = base;
        x[ProgramRegisters.REGION_SIZE] = size;
        x[ProgramRegisters.RANDOM_STATE] = 0x9E3779B97F4A7C15L;
        x[ProgramRegisters.PACE_BYTES_PER_SECOND] = 4L << 20;
        return new VcpuState(x, base + size, Workload.STREAM.entryPc(), 0,
                VcpuState.TCF_SYNC << VcpuState.SCTLR_TCF0_SHIFT, 0, 0, new MteSysRegs(0, 1, 0, 0));
    }

    private static long stepsOf(KvmVm vm, int vcpu) {
        vm.pauseVcpus();
        try {
            return vm.vcpus().get(vcpu).getState().steps();
        } finally {
            vm.resumeVcpus();
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldFailOnlyTheTouchingVcpusRunWithEfault(PageSize ps) {
        KvmVm vm = vmWithAFileSlotMadeBeforeMte(ps);
        long size = PAGES * ps.bytes();
        vm.createVcpu(0, VcpuFeatures.AARCH64).setState(streamOver(BASE, size));
        vm.createVcpu(1, VcpuFeatures.AARCH64).setState(streamOver(fileSlotBase(ps), size));
        vm.startVcpus();

        await().atMost(Duration.ofSeconds(20)).until(() -> vm.vcpuFailure() != null);
        KvmException failure = assertInstanceOf(KvmException.class, vm.vcpuFailure());
        assertEquals(Errno.EFAULT, failure.errno(), failure.getMessage());

        long before = stepsOf(vm, 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> stepsOf(vm, 0) > before);
        vm.pauseVcpus();
        assertEquals(0, vm.vcpus().get(1).getState().steps(), "the faulting access is not a step done");
        assertEquals(2, vm.memslots().size(), "the VM keeps its memslots");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReadZerosFromGuestOverMemoryThatCannotHoldTags(PageSize ps) {
        KvmVm vm = vmWithAFileSlotMadeBeforeMte(ps);
        ByteBuffer tags = tagBuffer(ps, 2 * PAGES);
        byte[] stale = new byte[tags.capacity()];
        Arrays.fill(stale, (byte) 0x5A);
        tags.put(0, stale);
        long length = 2 * PAGES * ps.bytes();
        assertEquals(length, vm.copyMteTags(BASE, length, tags, KVM_ARM_TAGS_FROM_GUEST, 0, 0),
                "both slots, tag-capable and not, are copied");
        byte[] read = new byte[tags.capacity()];
        tags.get(0, read);
        assertArrayEquals(new byte[read.length], read);
    }
}
