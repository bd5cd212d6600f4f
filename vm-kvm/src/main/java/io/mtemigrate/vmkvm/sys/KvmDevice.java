package io.mtemigrate.vmkvm.sys;

/** {@code /dev/kvm}: what the host's KVM offers, and creating VMs. */
public final class KvmDevice implements AutoCloseable {
    public static final String PATH = "/dev/kvm";
    /** {@code KVM_API_VERSION}: the only one Linux has had since 2.6.22. */
    public static final int API_VERSION = 12;

    private final int fd;
    private final String path;
    private boolean closed;

    private KvmDevice(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Opens {@code /dev/kvm} and checks its API version.
     *
     * @throws HostCallException when it cannot be opened (ENOENT: no KVM; EACCES: not in the kvm group)
     * @throws KvmIoctlException when it does not answer {@code KVM_GET_API_VERSION} (not a KVM device)
     * @throws IllegalStateException when it speaks another API version
     */
    public static KvmDevice open() {
        return open(PATH);
    }

    /** {@link #open()} of another device node: for tests of what is not {@code /dev/kvm}. */
    public static KvmDevice open(String path) {
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new HostCallException("open(" + path + ")", -fd, "read-write");
        }
        KvmDevice kvm = new KvmDevice(fd, path);
        try {
            int version = kvm.apiVersion();
            if (version != API_VERSION) {
                throw new IllegalStateException(path + " speaks KVM API version " + version + ", not "
                        + API_VERSION);
            }
            return kvm;
        } catch (RuntimeException e) {
            kvm.close();
            throw e;
        }
    }

    public int apiVersion() {
        return Ioctls.check(KvmIoctl.KVM_GET_API_VERSION, Libc.ioctl(fd, KvmIoctl.KVM_GET_API_VERSION.request(), 0L),
                path);
    }

    /** {@code KVM_CHECK_EXTENSION}: 0 when the capability is absent, else a capability-specific positive value. */
    public int checkExtension(int capability) {
        return Ioctls.check(KvmIoctl.KVM_CHECK_EXTENSION,
                Libc.ioctl(fd, KvmIoctl.KVM_CHECK_EXTENSION.request(), capability), "capability " + capability);
    }

    /** {@code KVM_GET_VCPU_MMAP_SIZE}: the bytes of a vCPU's {@code kvm_run} mapping. */
    public int vcpuMmapSize() {
        return Ioctls.check(KvmIoctl.KVM_GET_VCPU_MMAP_SIZE,
                Libc.ioctl(fd, KvmIoctl.KVM_GET_VCPU_MMAP_SIZE.request(), 0L), path);
    }

    /** {@code KVM_CREATE_VM} of the default type (0). */
    public VmFd createVm() {
        int vm = Ioctls.check(KvmIoctl.KVM_CREATE_VM, Libc.ioctl(fd, KvmIoctl.KVM_CREATE_VM.request(), 0L),
                "type 0");
        return new VmFd(vm, vcpuMmapSize());
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
