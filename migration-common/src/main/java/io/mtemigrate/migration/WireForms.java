package io.mtemigrate.migration;

import com.google.protobuf.ByteString;
import io.mtemigrate.proto.Memslot;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.util.ArrayList;
import java.util.List;

/** Conversions between the VM's records and their protobuf wire forms, in one place for both ends. */
public final class WireForms {
    private WireForms() {
    }

    public static VmLayout layout(MachineLayout layout) {
        VmLayout.Builder builder = VmLayout.newBuilder()
                .setPageSize(layout.pageSize().bytes())
                .setMteEnabled(layout.mte())
                .setVcpuCount(layout.vcpus())
                .setRamBytes(layout.ramBytes())
                .setBackend(layout.kind().backend())
                .setArchitecture(layout.kind().architecture())
                .setOrigin(ByteString.copyFrom(layout.origin()));
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
        if (wire.getBackend().isEmpty() || wire.getArchitecture().isEmpty()) {
            throw new IllegalArgumentException("the layout does not say which backend and architecture run the guest");
        }
        return new MachineLayout(pageSize, wire.getMteEnabled(), slots, wire.getVcpuCount(),
                aarch32 ? VcpuFeatures.AARCH32 : VcpuFeatures.AARCH64,
                new GuestKind(wire.getBackend(), wire.getArchitecture()), wire.getOrigin().toByteArray());
    }

    public static io.mtemigrate.proto.VcpuState vcpuState(VcpuSnapshot snapshot) {
        return io.mtemigrate.proto.VcpuState.newBuilder().setVcpuId(snapshot.vcpuId())
                .setState(ByteString.copyFrom(snapshot.state())).build();
    }

    public static VcpuSnapshot vcpuSnapshot(io.mtemigrate.proto.VcpuState wire) {
        return new VcpuSnapshot(wire.getVcpuId(), wire.getState().toByteArray());
    }
}
