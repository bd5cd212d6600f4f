package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Kvm;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;

import io.mtemigrate.vmsim.guest.GuestProgram;
import io.mtemigrate.vmsim.guest.GuestPrograms;

import java.util.function.LongFunction;
import java.util.function.Supplier;

/** An emulated arm64 KVM host, with or without MTE in its "hardware". */
public final class EmulatedKvm implements Kvm {
    private static final int KVM_CAP_USER_MEMORY = 3;
    private static final int KVM_CAP_NR_MEMSLOTS = 10;
    private static final int KVM_CAP_MAX_VCPUS = 66;

    private final boolean hardwareMte;
    private final Supplier<StoreTracker> storeTrackers;
    private final LongFunction<GuestProgram> programs;

    public EmulatedKvm(boolean hardwareMte) {
        this(hardwareMte, DeferredDirtyMarks::new);
    }

    EmulatedKvm(boolean hardwareMte, Supplier<StoreTracker> storeTrackers) {
        this(hardwareMte, storeTrackers, GuestPrograms::forPc);
    }

    /** With the programs a PC selects, so that a test can run a guest of its own. */
    EmulatedKvm(boolean hardwareMte, Supplier<StoreTracker> storeTrackers, LongFunction<GuestProgram> programs) {
        this.hardwareMte = hardwareMte;
        this.storeTrackers = storeTrackers;
        this.programs = programs;
    }

    /** A host with MTE, the usual case. */
    public static EmulatedKvm withMte() {
        return new EmulatedKvm(true);
    }

    /**
     * arm.c:kvm_vm_ioctl_check_extension for what the emulator implements; each answer matches what it accepts.
     * EL1_32BIT is 1 because the emulated CPUs offer AArch32 EL1 (kvm_vcpu_init_check_features lets such a vCPU
     * into a VM without MTE), which keeps the MTE-only refusal of AArch32 vCPUs a rule of its own. The IPA size is
     * the one every emulated VM has: memslots may reach 2^40 and no further.
     */
    @Override
    public int checkExtension(int capability) {
        return switch (capability) {
            case KvmConstants.KVM_CAP_ARM_MTE -> hardwareMte ? 1 : 0;
            case KvmConstants.KVM_CAP_READONLY_MEM -> 1;
            case KvmConstants.KVM_CAP_ARM_EL1_32BIT -> 1;
            case KvmConstants.KVM_CAP_ARM_VM_IPA_SIZE -> KvmConstants.DEFAULT_IPA_BITS;
            case KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 -> (int) KvmConstants.KVM_DIRTY_LOG_MANUAL_CAPS;
            case KVM_CAP_USER_MEMORY -> 1;
            case KVM_CAP_NR_MEMSLOTS -> KvmConstants.KVM_USER_MEM_SLOTS;
            case KVM_CAP_MAX_VCPUS -> KvmConstants.KVM_MAX_VCPUS;
            default -> 0;
        };
    }

    @Override
    public KvmVm createVm(PageSize pageSize) {
        return new EmulatedVm(pageSize, hardwareMte, storeTrackers, programs);
    }
}
