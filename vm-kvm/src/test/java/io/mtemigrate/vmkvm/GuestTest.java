package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86VcpuCodec;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guest program on real KVM: it does what its machine code says, deterministically. */
class GuestTest {
    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldHaltAtItsBudgetWithTheRamItsProgramDescribes() {
        KvmGuestSpec spec = KvmTests.SPEC;
        try (KvmMachine vm = KvmMachine.boot(spec)) {
            long start = System.nanoTime();
            vm.start();
            KvmTests.awaitHalted(vm);
            double seconds = (System.nanoTime() - start) / 1e9;

            assertArrayEquals(new long[] {spec.steps(), spec.steps()}, vm.vcpuSteps());
            for (VcpuSnapshot snapshot : vm.saveVcpus()) {
                assertEquals(RandomWritesGuest.HALTED_RIP, X86VcpuCodec.register(snapshot, X86Regs.RIP),
                        "vCPU " + snapshot.vcpuId() + " stands past its hlt");
                assertEquals(spec.steps() / spec.exitInterval(), vm.exits(snapshot.vcpuId()),
                        "an exit every " + spec.exitInterval() + " steps");
            }
            RamSlot code = vm.ramSlots().get(0);
            RamSlot ram = vm.ramSlots().get(1);
            assertEquals(-1, ram.segment().mismatch(MemorySegment.ofArray(GuestModel.ram(spec, spec.steps()))),
                    "RAM differs from the program's model");
            byte[] loaded = new byte[RandomWritesGuest.codeBytes()];
            MemorySegment.copy(code.segment(), ValueLayout.JAVA_BYTE, RandomWritesGuest.CODE_ADDRESS, loaded, 0,
                    loaded.length);
            assertEquals(RandomWritesGuest.code(), java.nio.ByteBuffer.wrap(loaded));
            System.out.printf(Locale.ROOT, "%d vCPUs ran %d steps each in %.2f s: %.0f steps/s per vCPU%n",
                    spec.vcpus(), spec.steps(), seconds, spec.steps() / seconds);
        }
    }

    @Test
    void shouldEndOnTheSameDigestForTheSameSeedAndStepsOnly() {
        KvmGuestSpec spec = KvmTests.SPEC;
        long reference = KvmTests.reference(spec);
        try (KvmMachine vm = KvmMachine.boot(spec)) {
            vm.start();
            KvmTests.awaitHalted(vm);
            assertEquals(reference, VmDigests.ram(vm));
        }
        assertNotEquals(reference, KvmTests.reference(spec.withSeed(spec.seed() + 1)), "another seed");
        assertNotEquals(reference, KvmTests.reference(spec.withSteps(spec.steps() - 1)), "one step fewer");
    }

    @Test
    void shouldRunWithoutABudgetUntilStopped() {
        try (KvmMachine vm = KvmMachine.boot(KvmTests.SPEC.withSteps(0))) {
            vm.start();
            KvmTests.soon().until(() -> vm.exits(0) > 3 && vm.exits(1) > 3);
            vm.pauseVcpus();
            for (long steps : vm.vcpuSteps()) {
                assertTrue(steps > 3L * KvmTests.SPEC.exitInterval(), "steps " + steps);
            }
            vm.resumeVcpus();
        }
    }
}
