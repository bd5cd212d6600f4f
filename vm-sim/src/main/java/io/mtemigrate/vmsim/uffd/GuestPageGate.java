package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmVm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Where the emulator's vCPUs meet their VM's userfaultfds: one per VM, made when the VMM opens its first uffd.
 * vCPUs ask it, lock-free, whether a page is missing; one that is blocks through {@link #block} and waits for its
 * {@link FaultWait} to be woken. Registrations, installs, wakes and the fault queues change under one lock, so a
 * fault and an install of its page never miss each other (the kernel re-checks the page after queueing the
 * waiter for the same reason).
 */
public final class GuestPageGate {
    private static final MissingPages[] NONE = new MissingPages[0];

    final KvmVm vm;
    final ReentrantLock lock = new ReentrantLock();
    private final BooleanSupplier vcpusRunning;
    private volatile MissingPages[] ranges = NONE;
    private final List<FaultWait> waiting = new ArrayList<>();

    public GuestPageGate(KvmVm vm, BooleanSupplier vcpusRunning) {
        this.vm = vm;
        this.vcpusRunning = vcpusRunning;
    }

    /** {@code userfaultfd(2)}. */
    public UserFaultFd open() {
        return new EmulatedUserFaultFd(this);
    }

    // ---- the vCPUs' side ----

    /** Whether the page at {@code offset} of {@code memory} is registered and not installed yet. */
    public boolean isMissing(HostMemory memory, long offset) {
        for (MissingPages pages : ranges) {
            if (pages.memory == memory) {
                return pages.isMissing(offset);
            }
        }
        return false;
    }

    /** How many pages from {@code offset}, up to {@code max}, are present one after the other. */
    public int presentPages(HostMemory memory, long offset, int max) {
        for (MissingPages pages : ranges) {
            if (pages.memory == memory) {
                return pages.presentRun(offset, max);
            }
        }
        return max;
    }

    /**
     * Queues the fault of a vCPU that found the page at {@code pageOffset} missing, for the owning uffd to read.
     * Null when the page was installed (or unregistered) meanwhile: the vCPU retries at once.
     */
    public FaultWait block(HostMemory memory, long pageOffset, long ipa, int vcpuId, boolean write, Thread thread) {
        lock.lock();
        try {
            MissingPages pages = find(memory);
            if (pages == null || !pages.isMissing(pageOffset)) {
                return null;
            }
            FaultWait wait = new FaultWait(new PageFault(ipa, vcpuId, write), memory, pageOffset, pages.owner, thread);
            waiting.add(wait);
            pages.owner.deliver(wait);
            return wait;
        } finally {
            lock.unlock();
        }
    }

    /** A vCPU stops waiting without its page (a pause or the VM's close); an unread fault goes with it. */
    public void abandon(FaultWait wait) {
        lock.lock();
        try {
            if (waiting.remove(wait)) {
                wait.owner.withdraw(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    /** vCPUs waiting on a page now. */
    public int waitingVcpus() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    // ---- the uffds' side, under the lock ----

    MissingPages find(HostMemory memory) {
        for (MissingPages pages : ranges) {
            if (pages.memory == memory) {
                return pages;
            }
        }
        return null;
    }

    /** Registers the range for {@code owner}; the memory's registrations all belong to one uffd. */
    void register(EmulatedUserFaultFd owner, HostMemory memory, long offset, long length) {
        MissingPages pages = find(memory);
        if (pages != null && pages.owner != owner) {
            throw new UffdException(Errno.EBUSY, "the range is registered with another userfaultfd");
        }
        if (vcpusRunning.getAsBoolean()) {
            // The kernel registers under the mmap write lock, which holds off faults on the range; the emulator's
            // vCPUs take no lock per access, so it asks for them to be stopped instead.
            throw new UffdException(Errno.EBUSY, "vCPUs are running: register before starting them or while paused");
        }
        if (pages == null) {
            pages = new MissingPages(memory, owner);
            MissingPages[] grown = Arrays.copyOf(ranges, ranges.length + 1);
            grown[grown.length - 1] = pages;
            ranges = grown;
        }
        pages.register(offset, length);
    }

    void unregister(EmulatedUserFaultFd owner, HostMemory memory, long offset, long length) {
        MissingPages pages = find(memory);
        if (pages == null) {
            return;
        }
        if (pages.owner != owner) {
            throw new UffdException(Errno.EBUSY, "the range is registered with another userfaultfd");
        }
        pages.unregister(offset, length);
        if (!pages.anyRegistered()) {
            ranges = Arrays.stream(ranges).filter(p -> p != pages).toArray(MissingPages[]::new);
        }
        wake(memory, offset, length);
    }

    /** Everything {@code owner} registered goes, as the kernel's release of a uffd does. */
    void release(EmulatedUserFaultFd owner) {
        for (MissingPages pages : ranges) {
            if (pages.owner == owner) {
                unregister(owner, pages.memory, 0, pages.memory.size());
            }
        }
    }

    /** Wakes the vCPUs waiting on pages of {@code memory} in {@code [offset, offset + length)}. */
    void wake(HostMemory memory, long offset, long length) {
        for (Iterator<FaultWait> it = waiting.iterator(); it.hasNext(); ) {
            FaultWait wait = it.next();
            if (wait.memory == memory && wait.pageOffset - offset >= 0 && wait.pageOffset - offset < length) {
                it.remove();
                wait.owner.withdraw(wait);
                wait.wake();
            }
        }
    }
}
