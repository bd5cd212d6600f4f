package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Kvm;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;

import java.util.function.Supplier;

/** An emulated arm64 KVM host, with or without MTE in its "hardware". */
public final class EmulatedKvm implements Kvm {
    private static final int KVM_CAP_USER_MEMORY = 3;
    private static final int KVM_CAP_NR_MEMSLOTS = 10;
    private static final int KVM_CAP_MAX_VCPUS = 66;

    private final boolean hardwareMte;
    private final Supplier<StoreTracker> storeTrackers;

    public EmulatedKvm(boolean hardwareMte) {
        this(hardwareMte, DeferredDirtyMarks::new);
    }

    EmulatedKvm(boolean hardwareMte, Supplier<StoreTracker> storeTrackers) {
        this.hardwareMte = hardwareMte;
        this.storeTrackers = storeTrackers;
    }

    /** A host with MTE, the usual case. */
    public static EmulatedKvm withMte() {
        return new EmulatedKvm(true);
    }

    @Override
    public int checkExtension(int capability) {
        return switch (capability) {
            case KvmConstants.KVM_CAP_ARM_MTE -> hardwareMte ? 1 : 0;
            case KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 -> (int) KvmConstants.KVM_DIRTY_LOG_MANUAL_CAPS;
            case KVM_CAP_USER_MEMORY -> 1;
            case KVM_CAP_NR_MEMSLOTS -> KvmConstants.KVM_USER_MEM_SLOTS;
            case KVM_CAP_MAX_VCPUS -> KvmConstants.KVM_MAX_VCPUS;
            default -> 0;
        };
    }

    @Override
    public KvmVm createVm(PageSize pageSize) {
        return new EmulatedVm(pageSize, hardwareMte, storeTrackers);
    }
}
