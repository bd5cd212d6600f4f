package io.mtemigrate.vmsim;

/** Numbers from the kernel's uapi headers (linux/kvm.h, arch/arm64 kvm.h) that the emulator answers to. */
public final class KvmConstants {
    public static final int KVM_CAP_READONLY_MEM = 81;
    public static final int KVM_CAP_ARM_EL1_32BIT = 93;
    public static final int KVM_CAP_ARM_VM_IPA_SIZE = 165;
    public static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    public static final int KVM_CAP_ARM_MTE = 205;

    /** {@code _IOR(KVMIO, 0xb4, struct kvm_arm_copy_mte_tags)}; kept for reference and for a future /dev/kvm backend. */
    public static final long KVM_ARM_MTE_COPY_TAGS = 0x8030AEB4L;
    public static final long KVM_ARM_TAGS_TO_GUEST = 0;
    public static final long KVM_ARM_TAGS_FROM_GUEST = 1;

    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    public static final int KVM_MEM_READONLY = 1 << 1;

    public static final long KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
    public static final long KVM_DIRTY_LOG_INITIALLY_SET = 2;
    public static final long KVM_DIRTY_LOG_MANUAL_CAPS = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;

    /** arm64: KVM_MEM_SLOTS_NUM is SHRT_MAX and there are no internal slots. */
    public static final int KVM_USER_MEM_SLOTS = Short.MAX_VALUE;
    public static final int KVM_ADDRESS_SPACE_NUM = 1;
    /** KVM_MAX_VCPUS on arm64. */
    public static final int KVM_MAX_VCPUS = 512;
    public static final long KVM_MEM_MAX_NR_PAGES = (1L << 31) - 1;
    /**
     * The IPA size of a VM created with type 0 (KVM_PHYS_SHIFT), and the only one the emulator offers: it takes no
     * KVM_VM_TYPE_ARM_IPA_SIZE, so KVM_CAP_ARM_VM_IPA_SIZE answers this too.
     */
    public static final int DEFAULT_IPA_BITS = 40;

    public static final int MTE_GRANULE_SIZE = 16;
    public static final int MTE_GRANULE_SHIFT = 4;

    private KvmConstants() {
    }
}
