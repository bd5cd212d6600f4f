package io.mtemigrate.vmkvm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A vCPU descriptor ({@code KVM_CREATE_VCPU}) with its {@code kvm_run} mapping. {@link #run} belongs to the vCPU's
 * own thread; the register calls may come from another thread while that one is out of {@code KVM_RUN}.
 */
public final class VcpuFd implements AutoCloseable {
    private final int id;
    private final int fd;
    /** A shared arena, so that closing it unmaps {@code kvm_run} at once, and a late access throws, not crashes. */
    private final Arena runArena = Arena.ofShared();
    private final KvmRun run;
    private boolean closed;

    VcpuFd(int id, int fd, int runMappingSize) {
        this.id = id;
        this.fd = fd;
        long address = Libc.mmapShared(fd, runMappingSize);
        if (address < 0) {
            runArena.close();
            throw new HostCallException("mmap", (int) -address, runMappingSize + " bytes of vCPU " + id
                    + "'s kvm_run");
        }
        this.run = new KvmRun(MemorySegment.ofAddress(address).reinterpret(runMappingSize, runArena,
                mapping -> Libc.munmap(address, runMappingSize)));
    }

    public int id() {
        return id;
    }

    public KvmRun kvmRun() {
        return run;
    }

    /** {@code KVM_RUN}: 0 once the guest exited (see {@link KvmRun#exitReason()}), or {@code -errno}. */
    public int run() {
        return Libc.ioctl(fd, KvmIoctl.KVM_RUN.request(), 0L);
    }

    /** Into {@code regs}, a {@code struct kvm_regs}. */
    public void getRegs(MemorySegment regs) {
        call(KvmIoctl.KVM_GET_REGS, regs);
    }

    public void setRegs(MemorySegment regs) {
        call(KvmIoctl.KVM_SET_REGS, regs);
    }

    /** Into {@code sregs}, a {@code struct kvm_sregs}. */
    public void getSregs(MemorySegment sregs) {
        call(KvmIoctl.KVM_GET_SREGS, sregs);
    }

    public void setSregs(MemorySegment sregs) {
        call(KvmIoctl.KVM_SET_SREGS, sregs);
    }

    private void call(KvmIoctl ioctl, MemorySegment struct) {
        Ioctls.check(ioctl, Libc.ioctl(fd, ioctl.request(), struct), "vCPU " + id);
    }

    /** Unmaps {@code kvm_run} and closes the descriptor; the vCPU's thread must be out of {@code KVM_RUN} for good. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            runArena.close();
            Libc.close(fd);
        }
    }
}
