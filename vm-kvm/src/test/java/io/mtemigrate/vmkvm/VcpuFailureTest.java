package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.ExitReasons;
import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86VcpuCodec;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A vCPU that leaves KVM_RUN for a reason the program never gives stops with it named; the others run on. */
class VcpuFailureTest {
    /** Guest physical address of a {@code ud2} in the code slot, past the program. */
    private static final long UD2 = 0x2000;

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldStopOnlyTheVcpuThatTripleFaultedAndNameItsExit() throws InterruptedException {
        KvmGuestSpec spec = KvmTests.SPEC.withSteps(20_000);
        try (KvmMachine vm = KvmMachine.boot(spec)) {
            // ud2 raises #UD; without an IDT that becomes a triple fault, which KVM reports as a shutdown.
            vm.ramSlots().getFirst().segment().set(ValueLayout.JAVA_SHORT_UNALIGNED, UD2, (short) 0x0B0F);
            List<VcpuSnapshot> state = vm.saveVcpus();
            vm.restoreVcpus(List.of(state.get(0), X86VcpuCodec.withRegister(state.get(1), X86Regs.RIP, UD2)));
            vm.start();

            assertTrue(vm.awaitHalted(KvmTests.HALT_TIMEOUT));
            VcpuExitException failure = assertInstanceOf(VcpuExitException.class, vm.vcpuFailure());
            assertEquals(1, failure.vcpu());
            assertEquals(ExitReasons.KVM_EXIT_SHUTDOWN, failure.exitReason());
            assertTrue(failure.getMessage().startsWith("vCPU 1 stopped at an unexpected KVM_EXIT_SHUTDOWN (8)"),
                    failure.getMessage());
            assertEquals(spec.steps(), vm.vcpuSteps()[0], "vCPU 0 ran to its budget");
        }
    }
}
