package io.mtemigrate.vmsim;

import java.util.Objects;

/**
 * {@code struct kvm_userspace_memory_region}: slot {@code slot} maps {@code memorySize} bytes of guest physical
 * address space at {@code guestPhysAddr} onto {@code memory} from {@code memoryOffset} (the VMM's
 * {@code userspace_addr}). A {@code memorySize} of 0 deletes the slot.
 */
public record UserMemoryRegion(int slot, int flags, long guestPhysAddr, long memorySize, HostMemory memory,
                               long memoryOffset) {
    public UserMemoryRegion {
        Objects.requireNonNull(memory, "memory");
    }

    public boolean logsDirtyPages() {
        return (flags & KvmConstants.KVM_MEM_LOG_DIRTY_PAGES) != 0;
    }

    public boolean readOnly() {
        return (flags & KvmConstants.KVM_MEM_READONLY) != 0;
    }

    public UserMemoryRegion withFlags(int newFlags) {
        return new UserMemoryRegion(slot, newFlags, guestPhysAddr, memorySize, memory, memoryOffset);
    }
}
