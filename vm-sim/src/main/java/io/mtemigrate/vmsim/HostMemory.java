package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.os.LinuxMemoryFile;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.file.Files;
import java.util.stream.LongStream;

/**
 * Host memory a VMM maps and hands to a memslot: what {@code userspace_addr} points at for a real VMM.
 *
 * <p>It is a memory file mapped shared ({@link LinuxMemoryFile}): a memfd by default, or an unnamed file of a
 * chosen directory (tmpfs). A large VM costs nothing until its pages are touched, exactly like anonymous memory;
 * closing truncates the file, which gives the pages back to the host at once instead of at some later GC.
 *
 * <p>A VMM finds never-written memory the way it would with a real guest: as holes of the memory file
 * ({@link #nextData}, {@link #nextHole}: {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE}), never through
 * bookkeeping of guest stores. On tmpfs and memfd the granularity is the host page; a page written with zeros, read,
 * or {@linkplain #prefault prefaulted} is data. A hole reads as zero data; since the kernel faults a page in before
 * it gives it tags (a guest access, or {@code KVM_ARM_MTE_COPY_TAGS} to the guest), a hole also has zero tags, and
 * this emulator keeps that true (see {@link #markTagged(long)}). Reading a hole through the mapping commits it: skip
 * holes instead.
 *
 * <p>Memory that "can hold tags" (the kernel's VM_MTE_ALLOWED: anonymous, tmpfs, memfd) also carries the MTE tag
 * storage of its pages: one byte per 16-byte granule, plus the per-page "tagged" flag ({@code PG_mte_tagged}). Like
 * the kernel, tags belong to the host pages, not to a memslot. Memory from {@link #fileBacked} cannot hold tags and
 * an MTE VM refuses it.
 *
 * <p>All accessors are absolute: one instance is safely shared by vCPU threads and VMM threads. Data is little-endian,
 * as an arm64 guest sees it.
 */
public final class HostMemory implements AutoCloseable {
    /** Buffers are made in 1 GiB chunks (a ByteBuffer indexes with an int); a page never straddles two. */
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final int TAG_CHUNK_SHIFT = CHUNK_SHIFT - KvmConstants.MTE_GRANULE_SHIFT;
    private static final long TAG_CHUNK_MASK = (1L << TAG_CHUNK_SHIFT) - 1;
    /** Memory per parallel prefault task, and the host page a fallback touch commits. */
    private static final long PREFAULT_PART = 64L << 20;
    private static final int HOST_PAGE = 4096;

    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SEGMENT_LONG = ValueLayout.JAVA_LONG.varHandle();

    private final long size;
    private final PageSize pageSize;
    private final boolean canHoldTags;
    private final LinuxMemoryFile dataFile;
    private final LinuxMemoryFile tagFile;
    private final MemorySegment segment;
    private final ByteBuffer[] data;
    private final ByteBuffer[] tags;
    private final long[] taggedPages;
    private volatile boolean closed;

    private HostMemory(long size, PageSize pageSize, boolean canHoldTags, MemoryFiles files) {
        if (size <= 0 || !pageSize.isAligned(size)) {
            throw new IllegalArgumentException("host memory size must be a positive multiple of " + pageSize.bytes()
                    + " bytes, not " + size);
        }
        this.size = size;
        this.pageSize = pageSize;
        this.canHoldTags = canHoldTags;
        this.dataFile = files.create("mte-migrate-ram", size);
        this.segment = dataFile.segment();
        this.data = chunks(segment, CHUNK_SIZE);
        if (canHoldTags) {
            try {
                this.tagFile = files.create("mte-migrate-tags", size >>> KvmConstants.MTE_GRANULE_SHIFT);
            } catch (RuntimeException e) {
                dataFile.close();
                throw e;
            }
            this.tags = chunks(tagFile.segment(), 1L << TAG_CHUNK_SHIFT);
            this.taggedPages = new long[Math.toIntExact(((size >>> pageSize.shift()) + 63) >>> 6)];
        } else {
            this.tagFile = null;
            this.tags = null;
            this.taggedPages = null;
        }
    }

    /** Anonymous-like shared memory (a memfd) that can hold MTE tags, lazily committed. */
    public static HostMemory anonymous(long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, true, LinuxMemoryFile::memfd);
    }

    /**
     * Memory that can hold MTE tags in an unnamed file of {@code directory}, which should be a tmpfs (its tag
     * storage lives there too): so that the size of that file system limits the guest.
     */
    public static HostMemory inDirectory(Path directory, long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, true, (name, bytes) -> LinuxMemoryFile.inDirectory(directory, bytes));
    }

    /** A mapping of an ordinary file: it cannot hold tags, so an MTE VM refuses it (VM_MTE_ALLOWED is not set). */
    public static HostMemory fileBacked(Path directory, long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, false, (name, bytes) -> LinuxMemoryFile.inDirectory(directory, bytes));
    }

    /** Where {@link #anonymous}-like memory goes when a directory is asked for: {@code /dev/shm} when there is one. */
    public static Path defaultDirectory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Where the data and the tag storage live; a name is for memfds, which /proc/PID/maps shows. */
    @FunctionalInterface
    private interface MemoryFiles {
        LinuxMemoryFile create(String name, long bytes);
    }

    private static ByteBuffer[] chunks(MemorySegment mapping, long chunkSize) {
        long bytes = mapping.byteSize();
        ByteBuffer[] buffers = new ByteBuffer[Math.toIntExact((bytes + chunkSize - 1) / chunkSize)];
        for (int i = 0; i < buffers.length; i++) {
            long offset = i * chunkSize;
            buffers[i] = mapping.asSlice(offset, Math.min(chunkSize, bytes - offset)).asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return buffers;
    }

    /** The whole mapping, for bulk and native work (socket I/O, hashing) on guest memory. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The first offset at or after {@code offset} whose page holds data ({@code lseek(SEEK_DATA)}), or
     * {@link #size()} when only holes follow. Everything from {@code offset} up to it reads as zero, with zero tags.
     */
    public long nextData(long offset) {
        return dataFile.nextData(offset);
    }

    /** The first offset at or after {@code offset} in a hole ({@code lseek(SEEK_HOLE)}); {@link #size()} at the end. */
    public long nextHole(long offset) {
        return dataFile.nextHole(offset);
    }

    public long size() {
        return size;
    }

    public PageSize pageSize() {
        return pageSize;
    }

    public boolean canHoldTags() {
        return canHoldTags;
    }

    public boolean isClosed() {
        return closed;
    }

    public long getLong(long offset) {
        return data[(int) (offset >>> CHUNK_SHIFT)].getLong((int) (offset & CHUNK_MASK));
    }

    public void putLong(long offset, long value) {
        data[(int) (offset >>> CHUNK_SHIFT)].putLong((int) (offset & CHUNK_MASK), value);
    }

    /**
     * The 1 GiB chunk that holds {@code offset}, for bulk work on whole pages (copying, hashing, encoding). Pages
     * never cross chunks; use it with absolute accessors only, the buffer is shared.
     */
    public ByteBuffer chunk(long offset) {
        return data[(int) (offset >>> CHUNK_SHIFT)];
    }

    /** Position of {@code offset} inside {@link #chunk(long)}. */
    public static int offsetInChunk(long offset) {
        return (int) (offset & CHUNK_MASK);
    }

    /** Copies {@code length} bytes at {@code offset} (within one chunk) to {@code dst} at {@code dstIndex}. */
    public void read(long offset, ByteBuffer dst, int dstIndex, int length) {
        dst.put(dstIndex, chunk(offset), offsetInChunk(offset), length);
    }

    /** Copies {@code length} bytes of {@code src} at {@code srcIndex} into this memory at {@code offset} (one chunk). */
    public void write(long offset, ByteBuffer src, int srcIndex, int length) {
        chunk(offset).put(offsetInChunk(offset), src, srcIndex, length);
    }

    /**
     * Writes {@code length} bytes of {@code src} (a direct buffer) at {@code offset} through the memory file rather
     * than the mapping: what the kernel's own copy into guest memory (UFFDIO_COPY) costs, without a fault per page.
     */
    public void writeThroughFile(long offset, ByteBuffer src, int srcIndex, int length) {
        // A buffer's segment starts at its position.
        dataFile.write(offset, MemorySegment.ofBuffer(src).asSlice(srcIndex - src.position(), length));
    }

    /**
     * Writes the tags of the pages from {@code pageOffset} (one byte per granule, already masked to 0..15) through
     * the tag file and marks the pages tagged; their data must be written already, so none of them is a hole.
     */
    public void writeTagsOfWrittenPages(long pageOffset, ByteBuffer tags, int tagIndex, int length, int pages) {
        tagFile.write(pageOffset >>> KvmConstants.MTE_GRANULE_SHIFT,
                MemorySegment.ofBuffer(tags).asSlice(tagIndex - tags.position(), length));
        long first = pageOffset >>> pageSize.shift();
        for (long page = first; page < first + pages; page = (page | 63) + 1) {
            WORD.getAndBitwiseOr(taggedPages, (int) (page >>> 6), BitRanges.wordMask(page, first + pages));
        }
    }

    // ---- tag storage: reached by the emulator (guest accesses, copyMteTags), never by a VMM directly ----

    /** The tag of the granule that holds {@code offset}; 0..15. */
    public int tag(long offset) {
        long granule = offset >>> KvmConstants.MTE_GRANULE_SHIFT;
        return tags[(int) (granule >>> TAG_CHUNK_SHIFT)].get((int) (granule & TAG_CHUNK_MASK));
    }

    public void setTag(long offset, int tag) {
        long granule = offset >>> KvmConstants.MTE_GRANULE_SHIFT;
        tags[(int) (granule >>> TAG_CHUNK_SHIFT)].put((int) (granule & TAG_CHUNK_MASK), (byte) (tag & 0xF));
    }

    /** The tag chunk holding the tags of the page at {@code pageOffset}, and the tag index within it. */
    public ByteBuffer tagChunk(long pageOffset) {
        return tags[(int) ((pageOffset >>> KvmConstants.MTE_GRANULE_SHIFT) >>> TAG_CHUNK_SHIFT)];
    }

    public static int tagIndexInChunk(long pageOffset) {
        return (int) ((pageOffset >>> KvmConstants.MTE_GRANULE_SHIFT) & TAG_CHUNK_MASK);
    }

    public boolean isTagged(long pageOffset) {
        long page = pageOffset >>> pageSize.shift();
        return ((long) WORD.getAcquire(taggedPages, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /**
     * Sets the page's "tagged" flag. A page tagged for the first time is committed, without changing its data: the
     * kernel faults a page in before it gives it tags, so a page with tags is never a hole of the memory file.
     */
    public void markTagged(long pageOffset) {
        long page = pageOffset >>> pageSize.shift();
        long bit = 1L << page;
        if (((long) WORD.getAndBitwiseOr(taggedPages, (int) (page >>> 6), bit) & bit) == 0) {
            commit(page << pageSize.shift());
        }
    }

    /**
     * Marks {@code pages} consecutive pages from {@code pageOffset} tagged, one atomic OR per bitmap word (64 pages)
     * and none for a word whose bits are all set already: the flag is cleared only by {@link #discard}, which no
     * vCPU races, so skipping it loses nothing.
     * The pages it tags for the first time are committed, as {@link #markTagged(long)} does.
     */
    public void markTagged(long pageOffset, int pages) {
        long first = pageOffset >>> pageSize.shift();
        long end = first + pages;
        for (long page = first; page < end; page = (page | 63) + 1) {
            int word = (int) (page >>> 6);
            long mask = BitRanges.wordMask(page, end);
            if (((long) WORD.getAcquire(taggedPages, word) & mask) != mask) {
                long fresh = mask & ~(long) WORD.getAndBitwiseOr(taggedPages, word, mask);
                for (; fresh != 0; fresh &= fresh - 1) {
                    commit(((long) word << 6 | Long.numberOfTrailingZeros(fresh)) << pageSize.shift());
                }
            }
        }
    }

    /**
     * Makes every host page of the guest page at {@code offset} present without changing it: a compare-and-set of 0
     * with 0 always writes ({@code lock cmpxchg}), so it takes a write fault, and unlike a read then a write it
     * never loses a racing guest store. All of them, since the tagged flag covers the whole guest page, which may
     * span several host pages.
     */
    private void commit(long offset) {
        for (long at = offset; at < offset + pageSize.bytes(); at += HOST_PAGE) {
            boolean _ = SEGMENT_LONG.compareAndSet(segment, at, 0L, 0L);
        }
    }

    /**
     * How many of the {@code maxPages} pages from {@code pageOffset} are, one after the other from the first, tagged
     * (when {@code tagged}) or never tagged (otherwise): 0 when the first page is not in that state. Reads the bitmap
     * a word at a time; each page's flag is read before the caller touches its tags, as {@link #isTagged} would.
     */
    public int pagesInTagState(long pageOffset, int maxPages, boolean tagged) {
        long page = pageOffset >>> pageSize.shift();
        int count = 0;
        while (count < maxPages) {
            long p = page + count;
            long word = (long) WORD.getAcquire(taggedPages, (int) (p >>> 6));
            int bit = (int) (p & 63);
            long same = (tagged ? word : ~word) >>> bit;
            // Zeros shift in at the top, so the run stops at the word's end at the latest.
            int run = Long.numberOfTrailingZeros(~same);
            count += run;
            if (run < 64 - bit) {
                break;
            }
        }
        return Math.min(count, maxPages);
    }

    public void clearPageTags(long pageOffset) {
        ByteBuffer chunk = tagChunk(pageOffset);
        int start = tagIndexInChunk(pageOffset);
        for (int i = 0; i < pageSize.tagsPerPage(); i += Long.BYTES) {
            chunk.putLong(start + i, 0L);
        }
    }

    /**
     * Gives back the {@code pages} pages from {@code pageOffset}, data and tags: they are holes again, zero in data
     * and tags and never tagged, as before their first touch (a post-copy target drops its stale copies so that
     * they can be registered missing). Only while nothing runs on them: stop the vCPUs first.
     */
    public void discard(long pageOffset, long pages) {
        if (!pageSize.isAligned(pageOffset) || pages < 0 || pageOffset + (pages << pageSize.shift()) > size) {
            throw new IndexOutOfBoundsException(pages + " pages at " + pageOffset + " of " + size + " bytes");
        }
        dataFile.punchHole(pageOffset, pages << pageSize.shift());
        if (tagFile == null) {
            return;
        }
        // Only tagged pages hold tags, and a page's tags are a fraction of a host page: zero them in place rather
        // than punch the tag file, which would cost a system call per page.
        long first = pageOffset >>> pageSize.shift();
        long end = first + pages;
        for (long page = first; page < end; page = (page | 63) + 1) {
            int word = (int) (page >>> 6);
            long mask = BitRanges.wordMask(page, end);
            long tagged = (long) WORD.getAcquire(taggedPages, word) & mask;
            if (tagged == 0) {
                continue;
            }
            tagged &= (long) WORD.getAndBitwiseAnd(taggedPages, word, ~mask);
            for (; tagged != 0; tagged &= tagged - 1) {
                clearPageTags(((long) word << 6 | Long.numberOfTrailingZeros(tagged)) << pageSize.shift());
            }
        }
    }

    /**
     * Commits every page now instead of at first touch, on all cores: like QEMU's {@code -mem-prealloc}, it moves
     * the cost of the host's page faults (far slower on a fresh virtualised host than a copy) out of the
     * migration. The content does not change, but every page is data from now on ({@link #nextData}).
     *
     * @return the time it took, in milliseconds
     */
    public long prefault() {
        long start = System.nanoTime();
        populate(dataFile);
        if (tagFile != null) {
            populate(tagFile);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void populate(LinuxMemoryFile file) {
        long bytes = file.size();
        LongStream.range(0, (bytes + PREFAULT_PART - 1) / PREFAULT_PART).parallel().forEach(part -> {
            long offset = part * PREFAULT_PART;
            long length = Math.min(PREFAULT_PART, bytes - offset);
            if (!file.populateWrite(offset, length)) {
                // A kernel before 5.14: take the write faults one host page at a time.
                MemorySegment mapping = file.segment();
                for (long at = offset; at < offset + length; at += HOST_PAGE) {
                    boolean _ = SEGMENT_LONG.compareAndSet(mapping, at, 0L, 0L);
                }
            }
        });
    }

    /** Gives the memory back to the host at once. Nothing may touch it afterwards: stop the vCPUs first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (tagFile != null) {
                tagFile.close();
            }
        } finally {
            dataFile.close();
        }
    }
}
