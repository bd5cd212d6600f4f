package io.mtemigrate.vmkvm.sys;

/** An ioctl on {@code /dev/kvm}, a VM or a vCPU descriptor failed. */
public final class KvmIoctlException extends SyscallException {
    private final KvmIoctl ioctl;

    public KvmIoctlException(KvmIoctl ioctl, int errno, String what) {
        super(ioctl.name(), errno, what);
        this.ioctl = ioctl;
    }

    public KvmIoctl ioctl() {
        return ioctl;
    }
}
