package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.digest.PageHash;
import io.mtemigrate.vmsim.machine.MachineLayout;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A KVM x86-64 guest to boot: every vCPU runs {@link RandomWritesGuest} over its own equal share of RAM.
 * <pre>
 *  guest physical
 *  0x0000_0000  slot 0, 64 KiB: the code at 0x1000, the rest never written
 *  0x0010_0000  slot 1, ramBytes: vCPU 0's region, then vCPU 1's, ... (ramBytes / vcpus each, whole pages)
 * </pre>
 *
 * @param ramBytes        the RAM the guest writes, a multiple of 4 KiB, ending below 3 GiB (32-bit addresses,
 *                        and clear of the TSS and identity-map pages KVM keeps just below 4 GiB)
 * @param seed            the same seed and steps give the same RAM
 * @param steps           each vCPU's step budget, below 2^32; 0 runs until stopped
 * @param exitInterval    steps between the guest's exits to the VMM (a power of two): how soon a pause takes
 *                        effect, against how much each exit costs
 * @param memoryDirectory where guest memory lives (a tmpfs, usually /dev/shm): its free space limits the guest
 */
public record KvmGuestSpec(long ramBytes, int vcpus, long seed, long steps, int exitInterval, Path memoryDirectory) {
    public static final long CODE_SLOT_BASE = 0;
    public static final long CODE_SLOT_BYTES = 64 << 10;
    public static final long RAM_BASE = 0x10_0000;
    /** RAM ends below here: 32-bit addresses, and room above for what KVM and a PC keep near 4 GiB. */
    public static final long RAM_LIMIT = 0xC000_0000L;
    /** About 10 ms between exits on a host that emulates the guest (100,000 steps a second): a pause within that. */
    public static final int DEFAULT_EXIT_INTERVAL = 1024;
    private static final PageSize PAGE = PageSize.SIZE_4K;

    public KvmGuestSpec {
        Objects.requireNonNull(memoryDirectory, "memoryDirectory");
        if (ramBytes <= 0 || !PAGE.isAligned(ramBytes) || ramBytes > RAM_LIMIT - RAM_BASE) {
            throw new IllegalArgumentException("RAM must be a positive multiple of 4 KiB up to "
                    + ((RAM_LIMIT - RAM_BASE) >> 20) + " MiB (the guest addresses it with 32 bits), not " + ramBytes
                    + " bytes");
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("a VM needs at least one vCPU, not " + vcpus);
        }
        if (ramBytes / vcpus < 4L * PAGE.bytes()) {
            throw new IllegalArgumentException("each vCPU needs at least 4 pages of RAM: " + ramBytes + " bytes for "
                    + vcpus + " vCPUs is too little");
        }
        if (steps < 0 || steps > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("steps must be 0 (no budget) up to 2^32 - 1 (the guest counts them in"
                    + " EDI), not " + steps);
        }
        if (exitInterval < 1 || Integer.bitCount(exitInterval) != 1) {
            throw new IllegalArgumentException("the exit interval must be a power of two (the guest tests a mask),"
                    + " not " + exitInterval);
        }
    }

    /** With an exit every {@value #DEFAULT_EXIT_INTERVAL} steps and memory in {@link HostMemory#defaultDirectory()}. */
    public static KvmGuestSpec of(long ramBytes, int vcpus, long seed, long steps) {
        return new KvmGuestSpec(ramBytes, vcpus, seed, steps, DEFAULT_EXIT_INTERVAL, HostMemory.defaultDirectory());
    }

    public KvmGuestSpec withSeed(long newSeed) {
        return new KvmGuestSpec(ramBytes, vcpus, newSeed, steps, exitInterval, memoryDirectory);
    }

    public KvmGuestSpec withSteps(long newSteps) {
        return new KvmGuestSpec(ramBytes, vcpus, seed, newSteps, exitInterval, memoryDirectory);
    }

    public KvmGuestSpec withExitInterval(int newInterval) {
        return new KvmGuestSpec(ramBytes, vcpus, seed, steps, newInterval, memoryDirectory);
    }

    public KvmGuestSpec withMemoryDirectory(Path directory) {
        return new KvmGuestSpec(ramBytes, vcpus, seed, steps, exitInterval, directory);
    }

    /** Bytes of RAM each vCPU's program writes, whole pages. */
    public long regionBytes() {
        return ramBytes / vcpus / PAGE.bytes() * PAGE.bytes();
    }

    public long regionBase(int vcpu) {
        return RAM_BASE + vcpu * regionBytes();
    }

    /** vCPU {@code vcpu}'s first xorshift32 state: from the seed, distinct per vCPU, never 0. */
    public int randomState(int vcpu) {
        return (int) PageHash.mix(seed * 31 + vcpu + 1) | 1;
    }

    /**
     * The layout a target rebuilds. {@link VcpuFeatures} is arm64's {@code KVM_ARM_VCPU_INIT}; an x86 vCPU has no
     * such features, and {@link VcpuFeatures#AARCH64} (no AArch32 EL1) is the record's "none".
     */
    public MachineLayout layout() {
        return new MachineLayout(PAGE, false, List.of(
                new MachineLayout.Slot(0, CODE_SLOT_BASE, CODE_SLOT_BYTES, 0),
                new MachineLayout.Slot(1, RAM_BASE, ramBytes, 0)), vcpus, VcpuFeatures.AARCH64, KvmMachine.KIND);
    }
}
