package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.VcpuFd;
import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86Sregs;
import io.mtemigrate.vmkvm.x86.X86VcpuCodec;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading and writing the registers of a VM's vCPUs, from a thread other than theirs: the callers make sure no vCPU
 * is inside {@code KVM_RUN} (or accept that KVM answers at its next exit). The structs live in a confined arena per
 * call; none of this is on a per-page or per-exit path.
 */
final class VcpuStates {
    private VcpuStates() {
    }

    /** Every vCPU at the first step of {@code spec}'s guest, in flat protected mode. */
    static void boot(List<VcpuFd> vcpus, KvmGuestSpec spec) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(X86Regs.LAYOUT);
            MemorySegment sregs = arena.allocate(X86Sregs.LAYOUT);
            for (VcpuFd vcpu : vcpus) {
                vcpu.getSregs(sregs);
                RandomWritesGuest.flatProtectedMode(sregs);
                vcpu.setSregs(sregs);
                RandomWritesGuest.initialRegisters(regs, spec.regionBase(vcpu.id()), spec.regionBytes(),
                        spec.randomState(vcpu.id()), spec.steps(), spec.exitInterval());
                vcpu.setRegs(regs);
            }
        }
    }

    static List<VcpuSnapshot> save(List<VcpuFd> vcpus) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(X86Regs.LAYOUT);
            MemorySegment sregs = arena.allocate(X86Sregs.LAYOUT);
            List<VcpuSnapshot> snapshots = new ArrayList<>();
            for (VcpuFd vcpu : vcpus) {
                vcpu.getRegs(regs);
                vcpu.getSregs(sregs);
                snapshots.add(X86VcpuCodec.encode(vcpu.id(), regs, sregs));
            }
            return snapshots;
        }
    }

    /**
     * Decodes every snapshot before it sets any, so that a bad one leaves the vCPUs as they were; then the special
     * registers (the mode) before the general ones, as KVM's own selftests restore them.
     *
     * @throws IllegalArgumentException naming the snapshot that does not fit, or what KVM refused of it
     */
    static void restore(List<VcpuFd> vcpus, List<VcpuSnapshot> snapshots) {
        if (snapshots.size() != vcpus.size()) {
            throw new IllegalArgumentException(snapshots.size() + " vCPU states for a VM with " + vcpus.size()
                    + " vCPUs");
        }
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> regs = new ArrayList<>();
            List<MemorySegment> sregs = new ArrayList<>();
            for (int i = 0; i < snapshots.size(); i++) {
                VcpuSnapshot snapshot = snapshots.get(i);
                if (snapshot.vcpuId() != i) {
                    throw new IllegalArgumentException("the state in place " + i + " is vCPU " + snapshot.vcpuId()
                            + "'s; states come in vCPU order");
                }
                regs.add(arena.allocate(X86Regs.LAYOUT));
                sregs.add(arena.allocate(X86Sregs.LAYOUT));
                X86VcpuCodec.decode(snapshot, regs.get(i), sregs.get(i));
            }
            for (int i = 0; i < vcpus.size(); i++) {
                try {
                    vcpus.get(i).setSregs(sregs.get(i));
                    vcpus.get(i).setRegs(regs.get(i));
                } catch (KvmIoctlException e) {
                    throw new IllegalArgumentException("KVM refused vCPU " + i + "'s state: " + e.getMessage(), e);
                }
            }
        }
    }

    /** Each vCPU's step counter. */
    static long[] steps(List<VcpuFd> vcpus) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(X86Regs.LAYOUT);
            long[] steps = new long[vcpus.size()];
            for (int i = 0; i < steps.length; i++) {
                vcpus.get(i).getRegs(regs);
                steps[i] = RandomWritesGuest.steps(regs);
            }
            return steps;
        }
    }
}
