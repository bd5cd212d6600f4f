package io.mtemigrate.vmkvm.sys;

/**
 * A system call of the KVM backend failed: which call, the kernel's errno with its name and meaning, and what it
 * was asked to do, all in the message (for example {@code KVM_SET_USER_MEMORY_REGION failed with EINVAL (Invalid
 * argument): slot 1, 64 MiB at guest physical 0x100000}).
 */
public abstract sealed class SyscallException extends RuntimeException
        permits KvmIoctlException, HostCallException {
    private final int errno;

    SyscallException(String call, int errno, String what) {
        super(call + " failed with " + Libc.errnoName(errno) + " (" + Libc.strerror(errno) + "): " + what);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code EFAULT}. */
    public String errnoName() {
        return Libc.errnoName(errno);
    }
}
