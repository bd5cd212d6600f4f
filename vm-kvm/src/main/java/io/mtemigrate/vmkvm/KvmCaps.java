package io.mtemigrate.vmkvm;

/** The {@code KVM_CAP_*} numbers (linux/kvm.h) and capability flags this backend asks about. */
final class KvmCaps {
    static final int KVM_CAP_SET_TSS_ADDR = 4;
    static final int KVM_CAP_NR_VCPUS = 9;
    static final int KVM_CAP_NR_MEMSLOTS = 10;
    static final int KVM_CAP_MAX_VCPUS = 66;
    static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    static final int KVM_CAP_ARM_MTE = 205;
    /** KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's flag: GET_DIRTY_LOG no longer clears, CLEAR_DIRTY_LOG does. */
    static final long KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;

    private KvmCaps() {
    }
}
