package io.mtemigrate.vmkvm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A VM descriptor ({@code KVM_CREATE_VM}): its memslots, capabilities, dirty log and vCPUs. Each call builds its
 * small argument struct in a confined arena; none of them is per page.
 */
public final class VmFd implements AutoCloseable {
    private final int fd;
    private final int runMappingSize;
    private boolean closed;

    VmFd(int fd, int runMappingSize) {
        this.fd = fd;
        this.runMappingSize = runMappingSize;
    }

    /** {@code KVM_SET_TSS_ADDR}: x86 only, needed on Intel before the first {@code KVM_RUN}. */
    public void setTssAddr(long guestPhysAddr) {
        Ioctls.check(KvmIoctl.KVM_SET_TSS_ADDR, Libc.ioctl(fd, KvmIoctl.KVM_SET_TSS_ADDR.request(), guestPhysAddr),
                "at guest physical 0x" + Long.toHexString(guestPhysAddr));
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: maps {@code memory} (whose address becomes {@code userspace_addr}) at
     * {@code guestPhysAddr}; the same call with other flags changes them. The caller keeps {@code memory} mapped
     * for as long as the slot exists.
     */
    public void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, MemorySegment memory) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = arena.allocate(KvmStructs.MEMORY_REGION);
            region.set(ValueLayout.JAVA_INT, KvmStructs.REGION_SLOT, slot);
            region.set(ValueLayout.JAVA_INT, KvmStructs.REGION_FLAGS, flags);
            region.set(ValueLayout.JAVA_LONG, KvmStructs.REGION_GUEST_PHYS_ADDR, guestPhysAddr);
            region.set(ValueLayout.JAVA_LONG, KvmStructs.REGION_MEMORY_SIZE, memory.byteSize());
            region.set(ValueLayout.JAVA_LONG, KvmStructs.REGION_USERSPACE_ADDR, memory.address());
            Ioctls.check(KvmIoctl.KVM_SET_USER_MEMORY_REGION,
                    Libc.ioctl(fd, KvmIoctl.KVM_SET_USER_MEMORY_REGION.request(), region),
                    "slot " + slot + ", " + memory.byteSize() + " bytes at guest physical 0x"
                            + Long.toHexString(guestPhysAddr) + ", flags 0x" + Integer.toHexString(flags));
        }
    }

    /** {@code KVM_ENABLE_CAP} with {@code args[0] = arg0}. */
    public void enableCap(int capability, long arg0) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cap = arena.allocate(KvmStructs.ENABLE_CAP);
            cap.set(ValueLayout.JAVA_INT, KvmStructs.CAP_CAP, capability);
            cap.set(ValueLayout.JAVA_LONG, KvmStructs.CAP_ARGS, arg0);
            Ioctls.check(KvmIoctl.KVM_ENABLE_CAP, Libc.ioctl(fd, KvmIoctl.KVM_ENABLE_CAP.request(), cap),
                    "capability " + capability + " with args[0] = 0x" + Long.toHexString(arg0));
        }
    }

    /** {@code KVM_GET_DIRTY_LOG} of {@code slot} into {@code bitmap} (a bit per page, whole 64-bit words). */
    public void getDirtyLog(int slot, MemorySegment bitmap) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment log = arena.allocate(KvmStructs.DIRTY_LOG);
            log.set(ValueLayout.JAVA_INT, KvmStructs.DIRTY_LOG_SLOT, slot);
            log.set(ValueLayout.ADDRESS, KvmStructs.DIRTY_LOG_BITMAP, bitmap);
            Ioctls.check(KvmIoctl.KVM_GET_DIRTY_LOG, Libc.ioctl(fd, KvmIoctl.KVM_GET_DIRTY_LOG.request(), log),
                    "slot " + slot);
        }
    }

    /**
     * {@code KVM_CLEAR_DIRTY_LOG} (with manual dirty-log protection): clears, and write-protects again, the pages
     * of {@code slot} from {@code firstPage} whose bits are set in {@code bitmap}.
     */
    public void clearDirtyLog(int slot, long firstPage, int pages, MemorySegment bitmap) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment clear = arena.allocate(KvmStructs.CLEAR_DIRTY_LOG);
            clear.set(ValueLayout.JAVA_INT, KvmStructs.CLEAR_SLOT, slot);
            clear.set(ValueLayout.JAVA_INT, KvmStructs.CLEAR_NUM_PAGES, pages);
            clear.set(ValueLayout.JAVA_LONG, KvmStructs.CLEAR_FIRST_PAGE, firstPage);
            clear.set(ValueLayout.ADDRESS, KvmStructs.CLEAR_BITMAP, bitmap);
            Ioctls.check(KvmIoctl.KVM_CLEAR_DIRTY_LOG, Libc.ioctl(fd, KvmIoctl.KVM_CLEAR_DIRTY_LOG.request(), clear),
                    "slot " + slot + ", " + pages + " pages from page " + firstPage);
        }
    }

    /**
     * {@code KVM_ARM_MTE_COPY_TAGS} (arm64 only): the kernel's answer, bytes of guest memory done or
     * {@code -errno}.
     */
    public int copyMteTags(MemorySegment copyMteTagsStruct) {
        return Libc.ioctl(fd, KvmIoctl.KVM_ARM_MTE_COPY_TAGS.request(), copyMteTagsStruct);
    }

    /** {@code KVM_CREATE_VCPU} and the mapping of its {@code kvm_run}. */
    public VcpuFd createVcpu(int id) {
        int vcpu = Ioctls.check(KvmIoctl.KVM_CREATE_VCPU, Libc.ioctl(fd, KvmIoctl.KVM_CREATE_VCPU.request(), id),
                "vCPU " + id);
        try {
            return new VcpuFd(id, vcpu, runMappingSize);
        } catch (RuntimeException e) {
            Libc.close(vcpu);
            throw e;
        }
    }

    /** Destroys the VM once its vCPUs' descriptors are closed too. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
