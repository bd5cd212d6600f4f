package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.machine.VcpuStateCodec;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The target's side: empty VMs of a layout, refusals that say why, memory faults explained. */
class KvmVmFactoryTest {
    private static final MachineLayout GOOD = KvmTests.SPEC.layout();
    private final KvmVmFactory factory = new KvmVmFactory(KvmTests.SPEC.memoryDirectory());

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldBuildX86VmsWithoutMte() {
        assertEquals(new GuestKind("kvm", "x86_64"), factory.kind());
        assertFalse(factory.hostHasMte());
    }

    @Test
    void shouldBuildAnEmptyVmOfTheLayout() {
        try (MigratableVm vm = factory.create(GOOD)) {
            assertEquals(GOOD, vm.layout());
            List<RamSlot> slots = vm.ramSlots();
            assertEquals(GOOD.slots().size(), slots.size());
            for (int i = 0; i < slots.size(); i++) {
                MachineLayout.Slot expected = GOOD.slots().get(i);
                RamSlot slot = slots.get(i);
                assertEquals(expected.id(), slot.id());
                assertEquals(expected.guestPhysAddr(), slot.guestPhysAddr());
                assertEquals(expected.size(), slot.size());
                assertEquals(slot.size(), slot.nextData(0), "all holes: nothing written yet");
            }
            assertTrue(vm.tags().isEmpty(), "no tags on x86");
            assertFalse(vm.vcpusPaused());
            assertEquals(0, vm.progress().steps(), "vCPUs at reset");
        }
    }

    static Stream<Arguments> layoutsThisHostCannotBuild() {
        List<MachineLayout.Slot> slots = GOOD.slots();
        return Stream.of(
                Arguments.of(new MachineLayout(PageSize.SIZE_4K, false, slots, 2, VcpuFeatures.AARCH64,
                        GuestKind.EMULATOR), "this host builds kvm (x86_64) VMs, and the layout is of a emu (aarch64)"),
                Arguments.of(new MachineLayout(PageSize.SIZE_16K, false, List.of(new MachineLayout.Slot(0, 0, 1 << 20, 0)),
                        2, VcpuFeatures.AARCH64, KvmMachine.KIND), "4K pages, and the layout has 16K pages"),
                Arguments.of(withSlots(true, 2, slots), "asks for MTE, and this host's KVM has no KVM_CAP_ARM_MTE"),
                Arguments.of(withSlots(false, 0, slots), "0 vCPUs"),
                Arguments.of(withSlots(false, 2, List.of()), "no memslot"),
                Arguments.of(withSlots(false, 2, List.of(new MachineLayout.Slot(0, 0, 8192, 0),
                        new MachineLayout.Slot(1, 4096, 8192, 0))), "overlaps memslot 1"),
                Arguments.of(withSlots(false, 2, List.of(new MachineLayout.Slot(0, 100, 8192, 0))), "not 4K aligned"),
                Arguments.of(withSlots(false, 2, List.of(new MachineLayout.Slot(0, 0, 8192, 0),
                        new MachineLayout.Slot(0, 8192, 8192, 0))), "two memslots with the same id"),
                Arguments.of(withSlots(false, 2, List.of(new MachineLayout.Slot(0, 0, 8192, 0x80))), "flags (0x80)"));
    }

    @ParameterizedTest
    @MethodSource("layoutsThisHostCannotBuild")
    void shouldRefuseLayoutsItCannotBuildSayingWhy(MachineLayout layout, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> factory.create(layout));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void shouldRefuseTheEmulatorsSnapshots() {
        VcpuSnapshot emulator = VcpuStateCodec.encode(0, new VcpuState(new long[VcpuState.GENERAL_REGISTERS], 0,
                0x1000, 0, 0, 0, 0, null));
        try (MigratableVm vm = factory.create(GOOD)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vm.restoreVcpus(List.of(emulator, new VcpuSnapshot(1, emulator.state()))));
            assertEquals("vCPU 0's state is not a KVM x86-64 snapshot: it starts with \"emuA64v1\", not \"kvmX8664\""
                    + " (a guest moves only between VMs of the same kind)", e.getMessage());
        }
    }

    @Test
    void shouldRefuseSnapshotsOfAnotherShape() {
        try (KvmMachine source = KvmMachine.boot(KvmTests.SPEC); MigratableVm target = factory.create(GOOD)) {
            List<VcpuSnapshot> state = source.saveVcpus();
            IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                    () -> target.restoreVcpus(state.subList(0, 1)));
            assertEquals("1 vCPU states for a VM with 2 vCPUs", tooFew.getMessage());
            IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
                    () -> target.restoreVcpus(List.of(state.get(1), state.get(0))));
            assertTrue(swapped.getMessage().contains("is vCPU 1's"), swapped.getMessage());

            target.restoreVcpus(state);
            target.start();
            assertThrows(IllegalStateException.class, () -> target.restoreVcpus(state), "after start");
        }
    }

    @Test
    void shouldRefuseToSaveRunningVcpus() {
        try (KvmMachine vm = KvmMachine.boot(KvmTests.SPEC)) {
            vm.start();
            KvmTests.soon().until(() -> vm.exits(0) > 0);
            if (!vm.awaitHalted(java.time.Duration.ZERO)) {
                assertThrows(IllegalStateException.class, vm::saveVcpus);
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldExplainAGuestWriteTheHostCouldNotBack() {
        KvmIoctlException efault = new KvmIoctlException(KvmIoctl.KVM_RUN, 14, "vCPU 0");
        String explained = factory.explainMemoryFault(new RuntimeException("vCPU failed", efault)).orElseThrow();
        assertTrue(explained.startsWith("the host could not back the guest's memory"), explained);
        assertTrue(explained.contains(KvmTests.SPEC.memoryDirectory().toString()), explained);
        assertTrue(factory.explainMemoryFault(new IOException("Bad address")).isPresent(), "a socket read");
        assertTrue(factory.explainMemoryFault(new KvmIoctlException(KvmIoctl.KVM_RUN, 22, "vCPU 0")).isEmpty());
        assertTrue(factory.explainMemoryFault(new KvmIoctlException(KvmIoctl.KVM_GET_REGS, 14, "vCPU 0")).isEmpty());
        assertTrue(factory.explainMemoryFault(new IllegalStateException("other")).isEmpty());
    }

    private static MachineLayout withSlots(boolean mte, int vcpus, List<MachineLayout.Slot> slots) {
        return new MachineLayout(PageSize.SIZE_4K, mte, slots, vcpus, VcpuFeatures.AARCH64, KvmMachine.KIND);
    }
}
