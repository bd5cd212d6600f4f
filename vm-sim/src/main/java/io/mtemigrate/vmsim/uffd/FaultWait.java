package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.HostMemory;

import java.util.concurrent.locks.LockSupport;

/**
 * A vCPU waiting on a missing page: its fault message until the VMM reads it, and the flag an install (or a wake,
 * an unregister, a close) sets before it unparks the vCPU's thread.
 */
public final class FaultWait {
    final PageFault fault;
    final HostMemory memory;
    final long pageOffset;
    final EmulatedUserFaultFd owner;
    private final Thread thread;
    private volatile boolean woken;

    FaultWait(PageFault fault, HostMemory memory, long pageOffset, EmulatedUserFaultFd owner, Thread thread) {
        this.fault = fault;
        this.memory = memory;
        this.pageOffset = pageOffset;
        this.owner = owner;
        this.thread = thread;
    }

    /** True once the vCPU may retry its access. */
    public boolean woken() {
        return woken;
    }

    void wake() {
        woken = true;
        LockSupport.unpark(thread);
    }
}
