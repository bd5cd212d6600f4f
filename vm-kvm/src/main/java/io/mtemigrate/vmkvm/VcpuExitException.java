package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.ExitReasons;

/**
 * A vCPU left {@code KVM_RUN} for a reason the guest program never gives: it stopped there, and the message names
 * the exit (for example {@code KVM_EXIT_SHUTDOWN (8)}, a triple fault) with its details.
 */
public final class VcpuExitException extends RuntimeException {
    private final int vcpu;
    private final int exitReason;

    VcpuExitException(int vcpu, int exitReason, String details) {
        super("vCPU " + vcpu + " stopped at an unexpected " + ExitReasons.name(exitReason) + ": " + details);
        this.vcpu = vcpu;
        this.exitReason = exitReason;
    }

    public int vcpu() {
        return vcpu;
    }

    /** The {@code kvm_run.exit_reason}. */
    public int exitReason() {
        return exitReason;
    }
}
