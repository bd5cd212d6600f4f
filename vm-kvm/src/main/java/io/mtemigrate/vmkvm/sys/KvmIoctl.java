package io.mtemigrate.vmkvm.sys;

import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86Sregs;

import java.lang.foreign.MemoryLayout;

/**
 * The ioctls this backend issues, with their request numbers built as linux/kvm.h builds them
 * ({@code _IO}/{@code _IOR}/{@code _IOW}/{@code _IOWR} of asm-generic/ioctl.h: direction in bits 30-31, argument size
 * in bits 16-29, type {@code KVMIO = 0xAE} in bits 8-15, number in bits 0-7). The encoding is the same on x86-64
 * and arm64; the sizes are those of the structs in {@link KvmStructs}, {@link X86Regs} and {@link X86Sregs}.
 */
public enum KvmIoctl {
    /** /dev/kvm: the API version, 12 ever since Linux 2.6.22. */
    KVM_GET_API_VERSION(io(0x00)),
    KVM_CREATE_VM(io(0x01)),
    KVM_CHECK_EXTENSION(io(0x03)),
    KVM_GET_VCPU_MMAP_SIZE(io(0x04)),
    /** VM fd. */
    KVM_CREATE_VCPU(io(0x41)),
    KVM_GET_DIRTY_LOG(iow(0x42, KvmStructs.DIRTY_LOG)),
    KVM_SET_USER_MEMORY_REGION(iow(0x46, KvmStructs.MEMORY_REGION)),
    /** x86: three pages of guest physical address space for the TSS that Intel's real-mode emulation needs. */
    KVM_SET_TSS_ADDR(io(0x47)),
    KVM_ENABLE_CAP(iow(0xa3, KvmStructs.ENABLE_CAP)),
    /** arm64 only. */
    KVM_ARM_MTE_COPY_TAGS(ior(0xb4, KvmStructs.COPY_MTE_TAGS)),
    KVM_CLEAR_DIRTY_LOG(iowr(0xc0, KvmStructs.CLEAR_DIRTY_LOG)),
    /** vCPU fd. */
    KVM_RUN(io(0x80)),
    KVM_GET_REGS(ior(0x81, X86Regs.LAYOUT)),
    KVM_SET_REGS(iow(0x82, X86Regs.LAYOUT)),
    KVM_GET_SREGS(ior(0x83, X86Sregs.LAYOUT)),
    KVM_SET_SREGS(iow(0x84, X86Sregs.LAYOUT));

    private static final int KVMIO = 0xAE;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    private final long request;

    KvmIoctl(long request) {
        this.request = request;
    }

    /** The number passed to {@code ioctl(2)}. */
    public long request() {
        return request;
    }

    private static long io(int nr) {
        return ioc(0, nr, 0);
    }

    private static long ior(int nr, MemoryLayout argument) {
        return ioc(IOC_READ, nr, argument.byteSize());
    }

    private static long iow(int nr, MemoryLayout argument) {
        return ioc(IOC_WRITE, nr, argument.byteSize());
    }

    private static long iowr(int nr, MemoryLayout argument) {
        return ioc(IOC_READ | IOC_WRITE, nr, argument.byteSize());
    }

    private static long ioc(int direction, int nr, long size) {
        if (size >= 1 << 14) {
            throw new IllegalArgumentException("an ioctl argument of " + size + " bytes does not fit _IOC_SIZEBITS");
        }
        return ((long) direction << 30) | (size << 16) | ((long) KVMIO << 8) | nr;
    }
}
