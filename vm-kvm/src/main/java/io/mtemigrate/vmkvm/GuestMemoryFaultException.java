package io.mtemigrate.vmkvm;

/**
 * A guest access to its own RAM that the host could not back, because the memory file's file system is full (or
 * the host out of memory). KVM says so in one of two ways: {@code KVM_RUN} fails with EFAULT when the access
 * faulted in hardware, or, when KVM emulated the instruction (as a host without hardware virtualisation does for
 * every instruction), it gives up on the page and reports the access as {@code KVM_EXIT_MMIO} at an address a
 * memslot maps. This is the second.
 */
public final class GuestMemoryFaultException extends RuntimeException {
    private final long guestPhysAddr;

    GuestMemoryFaultException(int vcpu, long guestPhysAddr, int slot, boolean write) {
        super("vCPU " + vcpu + "'s " + (write ? "write to" : "read of") + " guest physical 0x"
                + Long.toHexString(guestPhysAddr) + " in memslot " + slot + " could not be backed by the host (KVM"
                + " reported it as KVM_EXIT_MMIO): is the file system of the guest's memory full?");
        this.guestPhysAddr = guestPhysAddr;
    }

    public long guestPhysAddr() {
        return guestPhysAddr;
    }
}
