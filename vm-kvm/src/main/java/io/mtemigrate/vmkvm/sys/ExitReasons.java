package io.mtemigrate.vmkvm.sys;

/** {@code kvm_run.exit_reason} values (linux/kvm.h) and their names, for messages that a person can look up. */
public final class ExitReasons {
    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;

    private static final String[] NAMES = {"KVM_EXIT_UNKNOWN", "KVM_EXIT_EXCEPTION", "KVM_EXIT_IO",
            "KVM_EXIT_HYPERCALL", "KVM_EXIT_DEBUG", "KVM_EXIT_HLT", "KVM_EXIT_MMIO", "KVM_EXIT_IRQ_WINDOW_OPEN",
            "KVM_EXIT_SHUTDOWN", "KVM_EXIT_FAIL_ENTRY", "KVM_EXIT_INTR", "KVM_EXIT_SET_TPR", "KVM_EXIT_TPR_ACCESS",
            "KVM_EXIT_S390_SIEIC", "KVM_EXIT_S390_RESET", "KVM_EXIT_DCR", "KVM_EXIT_NMI", "KVM_EXIT_INTERNAL_ERROR",
            "KVM_EXIT_OSI", "KVM_EXIT_PAPR_HCALL", "KVM_EXIT_S390_UCONTROL", "KVM_EXIT_WATCHDOG",
            "KVM_EXIT_S390_TSCH", "KVM_EXIT_EPR", "KVM_EXIT_SYSTEM_EVENT", "KVM_EXIT_S390_STSI",
            "KVM_EXIT_IOAPIC_EOI", "KVM_EXIT_HYPERV", "KVM_EXIT_ARM_NISV", "KVM_EXIT_X86_RDMSR",
            "KVM_EXIT_X86_WRMSR", "KVM_EXIT_DIRTY_RING_FULL", "KVM_EXIT_AP_RESET_HOLD", "KVM_EXIT_X86_BUS_LOCK",
            "KVM_EXIT_XEN", "KVM_EXIT_RISCV_SBI", "KVM_EXIT_RISCV_CSR", "KVM_EXIT_NOTIFY", "KVM_EXIT_LOONGARCH_IOCSR",
            "KVM_EXIT_MEMORY_FAULT", "KVM_EXIT_TDX"};

    private ExitReasons() {
    }

    /** {@code KVM_EXIT_SHUTDOWN (8)}. */
    public static String name(int reason) {
        String name = reason >= 0 && reason < NAMES.length ? NAMES[reason] : "exit reason";
        return name + " (" + reason + ")";
    }
}
