package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.BitRanges;
import io.mtemigrate.vmsim.HostMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The registered and the missing pages of one host memory, owned by one userfaultfd (the kernel keeps the owner
 * per VMA; the emulator per memory). Registration changes under the gate's lock; vCPUs read the missing bits
 * without it: an install clears a bit with release semantics after the page's data and tags are in, and a vCPU
 * reads it with acquire semantics before its access, which is what makes the install atomic to the guest.
 */
final class MissingPages {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    final HostMemory memory;
    final EmulatedUserFaultFd owner;
    private final int shift;
    private final long[] registered;
    private final long[] missing;

    MissingPages(HostMemory memory, EmulatedUserFaultFd owner) {
        this.memory = memory;
        this.owner = owner;
        this.shift = memory.pageSize().shift();
        int words = Math.toIntExact(((memory.size() >>> shift) + 63) >>> 6);
        this.registered = new long[words];
        this.missing = new long[words];
    }

    boolean isMissing(long offset) {
        long page = offset >>> shift;
        return ((long) WORD.getAcquire(missing, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /** How many pages from {@code offset}, up to {@code max}, are present one after the other. */
    int presentRun(long offset, int max) {
        long page = offset >>> shift;
        int count = 0;
        while (count < max && !isMissingPage(page + count)) {
            count++;
        }
        return count;
    }

    private boolean isMissingPage(long page) {
        return ((long) WORD.getAcquire(missing, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    boolean isRegistered(long offset, long length) {
        for (long page = offset >>> shift, end = (offset + length) >>> shift; page < end; page++) {
            if ((registered[(int) (page >>> 6)] & (1L << page)) == 0) {
                return false;
            }
        }
        return true;
    }

    boolean anyRegistered() {
        for (long word : registered) {
            if (word != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Registers the pages of {@code [offset, offset + length)}; those newly registered that hold nothing (whole
     * pages in holes of the memory file) become missing. A page already registered keeps its state. A word of
     * pages at a time: a gigabyte is registered in the downtime of a post-copy switch.
     */
    void register(long offset, long length) {
        long pageBytes = 1L << shift;
        long end = offset + length;
        long at = offset;
        while (at < end) {
            long data = Math.min(end, memory.nextData(at));
            // Whole pages of the hole [at, data) are missing; a page the data starts in is present.
            registerPages(at >>> shift, data >>> shift, true);
            if (data >= end) {
                break;
            }
            long next = Math.min(end, (memory.nextHole(data) + pageBytes - 1) & -pageBytes);
            registerPages(data >>> shift, next >>> shift, false);
            at = next;
        }
    }

    private void registerPages(long first, long end, boolean holes) {
        for (long page = first; page < end; page = (page | 63) + 1) {
            int word = (int) (page >>> 6);
            long fresh = BitRanges.wordMask(page, end) & ~registered[word];
            registered[word] |= fresh;
            if (holes && fresh != 0) {
                WORD.getAndBitwiseOrRelease(missing, word, fresh);
            }
        }
    }

    /** Unregisters the pages of the range: the missing ones become ordinary memory. */
    void unregister(long offset, long length) {
        for (long page = offset >>> shift, end = (offset + length) >>> shift; page < end; page++) {
            int word = (int) (page >>> 6);
            long bit = 1L << page;
            registered[word] &= ~bit;
            WORD.getAndBitwiseAndRelease(missing, word, ~bit);
        }
    }

    /** The page's data and tags are in: publish it to the vCPUs. */
    void markPresent(long offset) {
        long page = offset >>> shift;
        WORD.getAndBitwiseAndRelease(missing, (int) (page >>> 6), ~(1L << page));
    }
}
