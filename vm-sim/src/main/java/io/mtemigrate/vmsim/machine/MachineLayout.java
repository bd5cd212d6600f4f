package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.vmm.GuestKind;

import java.util.List;
import java.util.Objects;

/**
 * The shape of a VM that a target must reproduce: page size, MTE, memslots and vCPUs, and the kind of VM (backend
 * and architecture) its vCPU state belongs to.
 */
public record MachineLayout(PageSize pageSize, boolean mte, List<Slot> slots, int vcpus, VcpuFeatures features,
                            GuestKind kind) {
    /** One memslot: its id, guest physical address, size and flags (KVM_MEM_*). */
    public record Slot(int id, long guestPhysAddr, long size, int flags) {
    }

    public MachineLayout {
        slots = List.copyOf(slots);
        Objects.requireNonNull(kind, "kind");
    }

    /** An emulator layout. */
    public MachineLayout(PageSize pageSize, boolean mte, List<Slot> slots, int vcpus, VcpuFeatures features) {
        this(pageSize, mte, slots, vcpus, features, GuestKind.EMULATOR);
    }

    public static MachineLayout singleSlot(PageSize pageSize, boolean mte, long base, long size, int vcpus) {
        return new MachineLayout(pageSize, mte, List.of(new Slot(0, base, size, 0)), vcpus, VcpuFeatures.AARCH64);
    }

    public long ramBytes() {
        return slots.stream().mapToLong(Slot::size).sum();
    }
}
