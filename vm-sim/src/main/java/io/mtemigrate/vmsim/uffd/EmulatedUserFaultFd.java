package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.Condition;

import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_COPY_MODE_DONTWAKE;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_COPY_MODE_WP;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_MINOR;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_MISSING;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_WP;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_ZEROPAGE_MODE_DONTWAKE;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_ZEROPAGE_MODE_MTE_TAGS;

/**
 * fs/userfaultfd.c's ioctls with their checks in the kernel's order ({@code validate_range}, the mode, then the
 * VMA lookup of {@code mfill_atomic}), over the emulated VM's memslots; the installs themselves are
 * {@link PageInstall}'s. Everything runs under the gate's lock.
 */
final class EmulatedUserFaultFd implements UserFaultFd {
    private final GuestPageGate gate;
    private final PageSize pageSize;
    private final ArrayDeque<FaultWait> pending = new ArrayDeque<>();
    private final Condition arrived;
    private boolean closed;
    /** Masked tags on their way into the tag file; used under the gate's lock only. */
    private final ByteBuffer[] tagScratch = new ByteBuffer[1];

    EmulatedUserFaultFd(GuestPageGate gate) {
        this.gate = gate;
        this.pageSize = gate.vm.pageSize();
        this.arrived = gate.lock.newCondition();
    }

    @Override
    public void register(long start, long length, long mode) {
        gate.lock.lock();
        try {
            requireOpen();
            long known = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MINOR;
            if (mode == 0 || (mode & ~known) != 0) {
                throw new UffdException(Errno.EINVAL, "register mode 0x" + Long.toHexString(mode)
                        + " is empty or has unknown bits");
            }
            if (mode != UFFDIO_REGISTER_MODE_MISSING) {
                throw new UffdException(Errno.EINVAL, "the emulator offers UFFDIO_REGISTER_MODE_MISSING only");
            }
            validateRange(start, length);
            UserMemoryRegion slot = slotCovering(start, length, Errno.EINVAL);
            if (!slot.memory().canHoldTags()) {
                // vma_can_userfault: missing faults work on anonymous memory and shmem, not on a regular file.
                throw new UffdException(Errno.EINVAL, "memslot " + slot.slot() + " maps a regular file, which"
                        + " cannot be registered for missing faults");
            }
            gate.register(this, slot.memory(), hostOffset(slot, start), length);
        } finally {
            gate.lock.unlock();
        }
    }

    @Override
    public void unregister(long start, long length) {
        gate.lock.lock();
        try {
            requireOpen();
            validateRange(start, length);
            UserMemoryRegion slot = slotCovering(start, length, Errno.EINVAL);
            gate.unregister(this, slot.memory(), hostOffset(slot, start), length);
        } finally {
            gate.lock.unlock();
        }
    }

    @Override
    public long copy(long dst, ByteBuffer src, long length, long mode, ByteBuffer tags) {
        if (src == null) {
            throw new UffdException(Errno.EFAULT, "no source buffer");
        }
        return install(dst, src, length, mode, tags, UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP
                | UFFDIO_COPY_MODE_MTE_TAGS, UFFDIO_COPY_MODE_MTE_TAGS, UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_COPY_MODE_WP);
    }

    @Override
    public long zeroPage(long start, long length, long mode, ByteBuffer tags) {
        return install(start, null, length, mode, tags, UFFDIO_ZEROPAGE_MODE_DONTWAKE | UFFDIO_ZEROPAGE_MODE_MTE_TAGS,
                UFFDIO_ZEROPAGE_MODE_MTE_TAGS, UFFDIO_ZEROPAGE_MODE_DONTWAKE, 0);
    }

    private long install(long dst, ByteBuffer src, long length, long mode, ByteBuffer tags, long knownModes,
                         long tagsMode, long dontWake, long wpMode) {
        gate.lock.lock();
        try {
            requireOpen();
            validateRange(dst, length);
            if ((mode & ~knownModes) != 0) {
                throw new UffdException(Errno.EINVAL, "mode 0x" + Long.toHexString(mode) + " has unknown bits");
            }
            boolean withTags = (mode & tagsMode) != 0;
            if (withTags && !gate.vm.mteEnabled()) {
                throw new UffdException(Errno.EINVAL, "the MTE_TAGS mode needs a VM with MTE enabled");
            }
            if (!withTags && tags != null) {
                throw new UffdException(Errno.EINVAL, "a tag buffer without the MTE_TAGS mode (its pointer must be 0)");
            }
            if (withTags && tags == null) {
                throw new UffdException(Errno.EFAULT, "the MTE_TAGS mode without a tag buffer");
            }
            UserMemoryRegion slot = slotCovering(dst, length, Errno.ENOENT);
            long offset = hostOffset(slot, dst);
            MissingPages pages = gate.find(slot.memory());
            if (pages == null || pages.owner != this || !pages.isRegistered(offset, length)) {
                throw new UffdException(Errno.ENOENT, "[0x" + Long.toHexString(dst) + ", +" + length
                        + ") is not wholly registered with this userfaultfd");
            }
            if ((mode & wpMode) != 0) {
                throw new UffdException(Errno.EINVAL, "MODE_WP on a range not registered with UFFDIO_REGISTER_MODE_WP");
            }
            long done = PageInstall.install(pages, offset, length, src, withTags ? tags : null, dst, tagScratch);
            if ((mode & dontWake) == 0) {
                gate.wake(slot.memory(), offset, done);
            }
            return done;
        } finally {
            gate.lock.unlock();
        }
    }

    @Override
    public void wake(long start, long length) {
        gate.lock.lock();
        try {
            requireOpen();
            validateRange(start, length);
            // Waking a range nobody waits on, or one outside every memslot, is no error.
            for (UserMemoryRegion slot : gate.vm.memslots()) {
                long from = Math.max(start, slot.guestPhysAddr());
                long to = Math.min(start + length, slot.guestPhysAddr() + slot.memorySize());
                if (from < to) {
                    gate.wake(slot.memory(), hostOffset(slot, from), to - from);
                }
            }
        } finally {
            gate.lock.unlock();
        }
    }

    @Override
    public Optional<PageFault> readFault(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        gate.lock.lockInterruptibly();
        try {
            while (true) {
                requireOpen();
                FaultWait wait = pending.poll();
                if (wait != null) {
                    return Optional.of(wait.fault);
                }
                if (nanos <= 0) {
                    return Optional.empty();
                }
                nanos = arrived.awaitNanos(nanos);
            }
        } finally {
            gate.lock.unlock();
        }
    }

    @Override
    public void close() {
        gate.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            gate.release(this);
            pending.clear();
            arrived.signalAll();
        } finally {
            gate.lock.unlock();
        }
    }

    /** Under the gate's lock. */
    void deliver(FaultWait wait) {
        pending.add(wait);
        arrived.signalAll();
    }

    /** Under the gate's lock. */
    void withdraw(FaultWait wait) {
        pending.remove(wait);
    }

    private void requireOpen() {
        if (closed) {
            throw new UffdException(Errno.EBADF, "the userfaultfd is closed");
        }
    }

    /** validate_range: page-aligned start and length, a non-empty range inside the VM's address space. */
    private void validateRange(long start, long length) {
        if (!pageSize.isAligned(start) || !pageSize.isAligned(length)) {
            throw new UffdException(Errno.EINVAL, "start 0x" + Long.toHexString(start) + " and length " + length
                    + " must be multiples of the page size " + pageSize.bytes());
        }
        long limit = 1L << KvmConstants.DEFAULT_IPA_BITS;
        if (length == 0 || Long.compareUnsigned(start, limit) >= 0 || Long.compareUnsigned(length, limit - start) > 0) {
            throw new UffdException(Errno.EINVAL, "[0x" + Long.toHexString(start) + ", +"
                    + Long.toUnsignedString(length)
                    + ") is empty or leaves the " + KvmConstants.DEFAULT_IPA_BITS + "-bit guest address space");
        }
    }

    /** The memslot that holds the whole range; one memslot stands for one VMA. */
    private UserMemoryRegion slotCovering(long start, long length, Errno otherwise) {
        for (UserMemoryRegion slot : gate.vm.memslots()) {
            if (start >= slot.guestPhysAddr() && start + length <= slot.guestPhysAddr() + slot.memorySize()) {
                return slot;
            }
        }
        throw new UffdException(otherwise, "no memslot holds [0x" + Long.toHexString(start) + ", +" + length + ")");
    }

    private static long hostOffset(UserMemoryRegion slot, long ipa) {
        return slot.memoryOffset() + (ipa - slot.guestPhysAddr());
    }
}
