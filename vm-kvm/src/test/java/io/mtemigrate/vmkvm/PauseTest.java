package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86VcpuCodec;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pausing stops every vCPU between two steps, with its I/O complete, and resuming changes nothing of the result. */
class PauseTest {
    private static final KvmGuestSpec SPEC = KvmTests.SPEC;

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldPauseEveryVcpuMidRunAndStillEndOnTheReference() {
        long reference = KvmTests.reference(SPEC);
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.start();
            awaitAnExitOnEveryVcpu(vm);
            vm.pauseVcpus();
            assertTrue(vm.vcpusPaused());

            long[] steps = vm.vcpuSteps();
            for (long s : steps) {
                assertTrue(s > 0 && s < SPEC.steps(), "paused mid-run, at step " + s + " of " + SPEC.steps());
                assertEquals(0, s % SPEC.exitInterval(), "paused at an exit, at step " + s);
            }
            for (VcpuSnapshot snapshot : vm.saveVcpus()) {
                // The out that left KVM_RUN has completed: the vCPU continues past it, not into it again.
                assertEquals(RandomWritesGuest.AFTER_EXIT_RIP, X86VcpuCodec.register(snapshot, X86Regs.RIP));
            }
            long pausedDigest = VmDigests.ram(vm);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> Arrays.equals(steps, vm.vcpuSteps()) && VmDigests.ram(vm) == pausedDigest);

            vm.resumeVcpus();
            assertFalse(vm.vcpusPaused());
            KvmTests.awaitHalted(vm);
            assertArrayEquals(new long[] {SPEC.steps(), SPEC.steps()}, vm.vcpuSteps());
            assertEquals(reference, VmDigests.ram(vm));
        }
    }

    @Test
    void shouldEndOnTheReferenceAfterManyPauses() {
        long reference = KvmTests.reference(SPEC);
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.start();
            for (int i = 0; i < 5; i++) {
                long[] before = {vm.exits(0), vm.exits(1)};
                KvmTests.soon().until(() -> vm.exits(0) > before[0] || vm.exits(1) > before[1]
                        || vm.awaitHalted(Duration.ZERO));
                vm.pauseVcpus();
                vm.resumeVcpus();
            }
            KvmTests.awaitHalted(vm);
            assertEquals(reference, VmDigests.ram(vm));
        }
    }

    @Test
    void shouldHoldAVmPausedBeforeItStartsAtItsFirstStep() {
        long reference = KvmTests.reference(SPEC);
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.pauseVcpus();
            vm.start();
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> vm.exits(0) == 0);
            assertArrayEquals(new long[] {0, 0}, vm.vcpuSteps());
            List<VcpuSnapshot> atBoot = vm.saveVcpus();
            assertEquals(RandomWritesGuest.CODE_ADDRESS, X86VcpuCodec.register(atBoot.getFirst(), X86Regs.RIP));
            vm.resumeVcpus();
            KvmTests.awaitHalted(vm);
            assertEquals(reference, VmDigests.ram(vm));
        }
    }

    @Test
    void shouldPauseAHaltedVmAtOnce() throws InterruptedException {
        try (KvmMachine vm = KvmMachine.boot(SPEC.withSteps(SPEC.exitInterval()))) {
            vm.start();
            KvmTests.awaitHalted(vm);
            vm.pauseVcpus();
            assertTrue(vm.vcpusPaused());
            assertTrue(vm.awaitHalted(Duration.ZERO));
        }
    }

    private static void awaitAnExitOnEveryVcpu(KvmMachine vm) {
        KvmTests.soon().until(() -> vm.exits(0) > 0 && vm.exits(1) > 0);
    }
}
