package io.mtemigrate.migration;

import io.mtemigrate.proto.Memslot;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.machine.MachineLayout;

import java.util.ArrayList;
import java.util.List;

/** Conversions between the emulator's records and their protobuf wire forms, in one place for both ends. */
public final class WireForms {
    private WireForms() {
    }

    public static VmLayout layout(MachineLayout layout) {
        VmLayout.Builder builder = VmLayout.newBuilder()
                .setPageSize(layout.pageSize().bytes())
                .setMteEnabled(layout.mte())
                .setVcpuCount(layout.vcpus())
                .setRamBytes(layout.ramBytes());
        for (MachineLayout.Slot slot : layout.slots()) {
            builder.addMemslots(Memslot.newBuilder().setSlotId(slot.id()).setGuestPhysAddr(slot.guestPhysAddr())
                    .setSize(slot.size()).setFlags(slot.flags()));
        }
        for (int id = 0; id < layout.vcpus(); id++) {
            builder.addVcpus(io.mtemigrate.proto.VcpuFeatures.newBuilder().setVcpuId(id)
                    .setAarch32(layout.features().el1Aarch32()));
        }
        return builder.build();
    }

    /**
     * The layout a target must build, checked for what would make it unbuildable; the message says which field.
     *
     * @throws IllegalArgumentException for a layout no VM can have
     */
    public static MachineLayout layout(VmLayout wire) {
        PageSize pageSize = PageSize.ofBytes(wire.getPageSize());
        if (wire.getVcpuCount() < 1 || wire.getVcpuCount() > 512) {
            throw new IllegalArgumentException("vCPU count " + wire.getVcpuCount() + " is not 1..512");
        }
        boolean aarch32 = false;
        for (io.mtemigrate.proto.VcpuFeatures features : wire.getVcpusList()) {
            aarch32 |= features.getAarch32();
        }
        List<MachineLayout.Slot> slots = new ArrayList<>();
        for (Memslot slot : wire.getMemslotsList()) {
            if (slot.getSize() <= 0 || !pageSize.isAligned(slot.getSize()) || !pageSize.isAligned(slot.getGuestPhysAddr())) {
                throw new IllegalArgumentException("memslot " + slot.getSlotId() + " (0x"
                        + Long.toHexString(slot.getGuestPhysAddr()) + ", " + slot.getSize()
                        + " bytes) is not page aligned or empty");
            }
            // Dirty logging is the source's business; the target's slots start without it.
            slots.add(new MachineLayout.Slot(slot.getSlotId(), slot.getGuestPhysAddr(), slot.getSize(), 0));
        }
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("the layout has no memslot");
        }
        return new MachineLayout(pageSize, wire.getMteEnabled(), slots, wire.getVcpuCount(),
                aarch32 ? VcpuFeatures.AARCH32 : VcpuFeatures.AARCH64);
    }

    public static io.mtemigrate.proto.VcpuState vcpuState(int id, VcpuState state) {
        io.mtemigrate.proto.VcpuState.Builder builder = io.mtemigrate.proto.VcpuState.newBuilder()
                .setVcpuId(id).setSp(state.sp()).setPc(state.pc()).setPstate(state.pstate())
                .setSctlrEl1(state.sctlrEl1()).setSteps(state.steps()).setTagCheckFaults(state.tagCheckFaults());
        for (long x : state.x()) {
            builder.addX(x);
        }
        MteSysRegs mte = state.mte();
        if (mte != null) {
            builder.setMte(io.mtemigrate.proto.MteSysRegs.newBuilder().setGcrEl1(mte.gcrEl1()).setRgsrEl1(mte.rgsrEl1())
                    .setTfsrEl1(mte.tfsrEl1()).setTfsre0El1(mte.tfsre0El1()));
        }
        return builder.build();
    }

    /** @throws IllegalArgumentException when the register list is not complete */
    public static VcpuState vcpuState(io.mtemigrate.proto.VcpuState wire) {
        if (wire.getXCount() != VcpuState.GENERAL_REGISTERS) {
            throw new IllegalArgumentException("vCPU " + wire.getVcpuId() + " state has " + wire.getXCount()
                    + " general registers, not 31");
        }
        long[] x = new long[VcpuState.GENERAL_REGISTERS];
        for (int i = 0; i < x.length; i++) {
            x[i] = wire.getX(i);
        }
        MteSysRegs mte = wire.hasMte()
                ? new MteSysRegs(wire.getMte().getGcrEl1(), wire.getMte().getRgsrEl1(), wire.getMte().getTfsrEl1(),
                wire.getMte().getTfsre0El1())
                : null;
        return new VcpuState(x, wire.getSp(), wire.getPc(), wire.getPstate(), wire.getSctlrEl1(), wire.getSteps(),
                wire.getTagCheckFaults(), mte);
    }
}
