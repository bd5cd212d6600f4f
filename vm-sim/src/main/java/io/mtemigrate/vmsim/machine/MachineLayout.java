package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.vmm.GuestKind;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a VM that a target must reproduce: page size, MTE, memslots and vCPUs, and the kind of VM (backend
 * and architecture) its vCPU state belongs to.
 *
 * @param origin opaque bytes that travel with the VM from host to host and that neither the VM nor the migration
 *               engine reads (a host keeps the guest's own description there); empty by default
 */
public record MachineLayout(PageSize pageSize, boolean mte, List<Slot> slots, int vcpus, VcpuFeatures features,
                            GuestKind kind, byte[] origin) {
    private static final byte[] NONE = new byte[0];

    /** One memslot: its id, guest physical address, size and flags (KVM_MEM_*). */
    public record Slot(int id, long guestPhysAddr, long size, int flags) {
    }

    public MachineLayout {
        slots = List.copyOf(slots);
        Objects.requireNonNull(kind, "kind");
        origin = origin == null || origin.length == 0 ? NONE : origin.clone();
    }

    /** A layout without an origin. */
    public MachineLayout(PageSize pageSize, boolean mte, List<Slot> slots, int vcpus, VcpuFeatures features,
                         GuestKind kind) {
        this(pageSize, mte, slots, vcpus, features, kind, NONE);
    }

    /** An emulator layout. */
    public MachineLayout(PageSize pageSize, boolean mte, List<Slot> slots, int vcpus, VcpuFeatures features) {
        this(pageSize, mte, slots, vcpus, features, GuestKind.EMULATOR);
    }

    public static MachineLayout singleSlot(PageSize pageSize, boolean mte, long base, long size, int vcpus) {
        return new MachineLayout(pageSize, mte, List.of(new Slot(0, base, size, 0)), vcpus, VcpuFeatures.AARCH64);
    }

    /** A copy: the caller cannot change this layout's origin. */
    @Override
    public byte[] origin() {
        return origin.clone();
    }

    public MachineLayout withOrigin(byte[] newOrigin) {
        return new MachineLayout(pageSize, mte, slots, vcpus, features, kind, newOrigin);
    }

    public long ramBytes() {
        return slots.stream().mapToLong(Slot::size).sum();
    }

    // The origin is an array: equality must look at its bytes, as for every other component.
    @Override
    public boolean equals(Object other) {
        return other instanceof MachineLayout that && pageSize == that.pageSize && mte == that.mte
                && slots.equals(that.slots) && vcpus == that.vcpus && features.equals(that.features)
                && kind.equals(that.kind) && Arrays.equals(origin, that.origin);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pageSize, mte, slots, vcpus, features, kind) * 31 + Arrays.hashCode(origin);
    }

    @Override
    public String toString() {
        return "MachineLayout[pageSize=" + pageSize + ", mte=" + mte + ", slots=" + slots + ", vcpus=" + vcpus
                + ", features=" + features + ", kind=" + kind + ", origin=" + HexFormat.of().formatHex(origin) + "]";
    }
}
