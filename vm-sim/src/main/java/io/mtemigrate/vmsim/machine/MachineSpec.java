package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;

/**
 * A VM to boot: its size and shape, and the guest program every vCPU runs.
 *
 * @param dirtyRate bytes per second the whole guest writes (shared evenly by its vCPUs); 0 runs flat out
 * @param steps     each vCPU's step budget; 0 runs until stopped
 */
public record MachineSpec(long ramBytes, PageSize pageSize, int vcpus, boolean mte, Workload workload, Fill fill,
                          long seed, long steps, long dirtyRate) {
    /** Where RAM starts in the guest physical address space, as on QEMU's arm "virt" board. */
    public static final long RAM_BASE = 0x4000_0000L;

    public MachineSpec {
        if (ramBytes <= 0 || !pageSize.isAligned(ramBytes)) {
            throw new IllegalArgumentException("RAM size must be a positive multiple of the page size " + pageSize
                    + ", not " + ramBytes + " bytes");
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("a VM needs at least one vCPU, not " + vcpus);
        }
        if (ramBytes / vcpus < 4L * pageSize.bytes()) {
            throw new IllegalArgumentException("each vCPU needs at least 4 pages of RAM: " + ramBytes + " bytes for "
                    + vcpus + " vCPUs is too little");
        }
        if (steps < 0 || dirtyRate < 0) {
            throw new IllegalArgumentException("steps and dirty rate cannot be negative");
        }
    }

    public static MachineSpec of(long ramBytes, PageSize pageSize, int vcpus, Workload workload) {
        return new MachineSpec(ramBytes, pageSize, vcpus, true, workload, Fill.RANDOM, 1, 0, 0);
    }

    public MachineSpec withSteps(long newSteps) {
        return new MachineSpec(ramBytes, pageSize, vcpus, mte, workload, fill, seed, newSteps, dirtyRate);
    }

    public MachineSpec withDirtyRate(long newRate) {
        return new MachineSpec(ramBytes, pageSize, vcpus, mte, workload, fill, seed, steps, newRate);
    }

    public MachineSpec withFill(Fill newFill) {
        return new MachineSpec(ramBytes, pageSize, vcpus, mte, workload, newFill, seed, steps, dirtyRate);
    }

    public MachineSpec withMte(boolean newMte) {
        return new MachineSpec(ramBytes, pageSize, vcpus, newMte, workload, fill, seed, steps, dirtyRate);
    }

    public MachineSpec withSeed(long newSeed) {
        return new MachineSpec(ramBytes, pageSize, vcpus, mte, workload, fill, newSeed, steps, dirtyRate);
    }

    /** Bytes of RAM each vCPU's program owns. */
    public long regionBytes() {
        return ramBytes / vcpus / pageSize.bytes() * pageSize.bytes();
    }

    public MachineLayout layout() {
        return MachineLayout.singleSlot(pageSize, mte, RAM_BASE, ramBytes, vcpus);
    }
}
