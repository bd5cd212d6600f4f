package io.mtemigrate.vmsim.uffd;

/**
 * A {@code UFFD_EVENT_PAGEFAULT} message: a vCPU touched a missing page and waits for it.
 *
 * @param address the guest physical address of the page's first byte (the kernel rounds down the same way unless
 *                UFFD_FEATURE_EXACT_ADDRESS is asked for); the kernel would give the VMM's virtual address of it
 * @param vcpuId  the vCPU that waits (the kernel gives its thread id, with UFFD_FEATURE_THREAD_ID)
 * @param write   a data or tag store: tag stores need write permission, so they fault as writes
 */
public record PageFault(long address, int vcpuId, boolean write) {
    /** {@code uffd_msg.arg.pagefault.flags}. */
    public long flags() {
        return write ? UffdConstants.UFFD_PAGEFAULT_FLAG_WRITE : 0;
    }
}
