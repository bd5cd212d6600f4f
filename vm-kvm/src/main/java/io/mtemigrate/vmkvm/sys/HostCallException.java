package io.mtemigrate.vmkvm.sys;

/** A libc call around the ioctls failed: opening {@code /dev/kvm}, mapping a vCPU's {@code kvm_run}. */
public final class HostCallException extends SyscallException {
    private final String call;

    public HostCallException(String call, int errno, String what) {
        super(call, errno, what);
        this.call = call;
    }

    /** The call as the message names it, e.g. {@code open(/dev/kvm)}. */
    public String call() {
        return call;
    }
}
