package io.mtemigrate.vmsim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;


/**
 * Host memory a VMM maps and hands to a memslot: what {@code userspace_addr} points at for a real VMM.
 *
 * <p>It is a shared mapping of a sparse file on tmpfs ({@code /dev/shm} when there is one), so that a large VM
 * costs nothing until its pages are touched, exactly like anonymous memory. The file is unlinked at once; closing
 * truncates it, which gives the pages back to the host immediately instead of at some later GC.
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
    /** Mappings are made in 1 GiB chunks (a ByteBuffer indexes with an int); a page never straddles two. */
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final int TAG_CHUNK_SHIFT = CHUNK_SHIFT - KvmConstants.MTE_GRANULE_SHIFT;
    private static final long TAG_CHUNK_MASK = (1L << TAG_CHUNK_SHIFT) - 1;

    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long size;
    private final PageSize pageSize;
    private final boolean canHoldTags;
    private final FileChannel dataFile;
    private final FileChannel tagFile;
    private final ByteBuffer[] data;
    private final ByteBuffer[] tags;
    private final long[] taggedPages;
    /** Pages anyone may have written since the mapping was made; the others are holes that read as zero. */
    private final long[] writtenPages;
    private volatile boolean closed;

    private HostMemory(long size, PageSize pageSize, boolean canHoldTags, Path directory) {
        if (size <= 0 || !pageSize.isAligned(size)) {
            throw new IllegalArgumentException("host memory size must be a positive multiple of " + pageSize.bytes()
                    + " bytes, not " + size);
        }
        this.size = size;
        this.pageSize = pageSize;
        this.canHoldTags = canHoldTags;
        this.writtenPages = new long[Math.toIntExact(((size >>> pageSize.shift()) + 63) >>> 6)];
        try {
            this.dataFile = sparseFile(directory, size);
            this.data = map(dataFile, size, CHUNK_SIZE);
            if (canHoldTags) {
                long tagBytes = size >>> KvmConstants.MTE_GRANULE_SHIFT;
                this.tagFile = sparseFile(directory, tagBytes);
                this.tags = map(tagFile, tagBytes, 1L << TAG_CHUNK_SHIFT);
                this.taggedPages = new long[Math.toIntExact(((size >>> pageSize.shift()) + 63) >>> 6)];
            } else {
                this.tagFile = null;
                this.tags = null;
                this.taggedPages = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + size + " bytes of host memory in " + directory, e);
        }
    }

    /** Anonymous-like shared memory that can hold MTE tags, lazily committed. */
    public static HostMemory anonymous(long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, true, defaultDirectory());
    }

    /**
     * Like {@link #anonymous}, with the memory file in {@code directory} (a tmpfs, for memory that can hold tags):
     * its file system's free space then bounds the guest, see {@link HostCapacity}.
     */
    public static HostMemory inDirectory(Path directory, long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, true, directory);
    }

    /** A mapping of an ordinary file: it cannot hold tags, so an MTE VM refuses it (VM_MTE_ALLOWED is not set). */
    public static HostMemory fileBacked(Path directory, long size, PageSize pageSize) {
        return new HostMemory(size, pageSize, false, directory);
    }

    /** Where {@link #anonymous} puts its memory files: {@code /dev/shm} when there is one. */
    public static Path defaultDirectory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static FileChannel sparseFile(Path directory, long size) throws IOException {
        Path file = Files.createTempFile(directory, "mte-migrate-ram-", ".mem");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Files.delete(file);
        channel.write(ByteBuffer.allocate(1), size - 1);
        return channel;
    }

    private static ByteBuffer[] map(FileChannel channel, long size, long chunkSize) throws IOException {
        int chunks = Math.toIntExact((size + chunkSize - 1) / chunkSize);
        ByteBuffer[] buffers = new ByteBuffer[chunks];
        for (int i = 0; i < chunks; i++) {
            long offset = i * chunkSize;
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, offset, Math.min(chunkSize, size - offset));
            buffers[i] = mapped.order(ByteOrder.LITTLE_ENDIAN);
        }
        return buffers;
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
        markWritten(offset);
    }

    /**
     * Records that the page holding {@code offset} may hold data. Call it after the write: a reader that finds
     * the bit clear then either sees a hole or (with dirty logging) a dirty bit set after it looked. Writers that
     * go through {@link #chunk(long)} must call it themselves.
     */
    public void markWritten(long offset) {
        long page = offset >>> pageSize.shift();
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        if (((long) WORD.getAcquire(writtenPages, word) & bit) == 0) {
            WORD.getAndBitwiseOr(writtenPages, word, bit);
        }
    }

    /**
     * True when no one has written the page since the mapping was made and no tag was set on it: its data and
     * tags are zero, and it can be treated as zero without reading it (reading a hole of a tmpfs file commits a
     * page, which on a fresh virtualised host is slower than a copy).
     */
    public boolean isHole(long pageOffset) {
        long page = pageOffset >>> pageSize.shift();
        return ((long) WORD.getAcquire(writtenPages, (int) (page >>> 6)) & (1L << page)) == 0
                && (taggedPages == null || !isTagged(pageOffset));
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
        for (long page = offset; page < offset + length; page += pageSize.bytes()) {
            markWritten(page);
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

    public void markTagged(long pageOffset) {
        long page = pageOffset >>> pageSize.shift();
        WORD.getAndBitwiseOr(taggedPages, (int) (page >>> 6), 1L << page);
    }

    /**
     * Marks {@code pages} consecutive pages from {@code pageOffset} tagged, one atomic OR per bitmap word (64 pages)
     * and none for a word whose bits are all set already: the flag is never cleared, so skipping it loses nothing.
     */
    public void markTagged(long pageOffset, int pages) {
        long page = pageOffset >>> pageSize.shift();
        long end = page + pages;
        while (page < end) {
            int word = (int) (page >>> 6);
            int bit = (int) (page & 63);
            int n = (int) Math.min(64 - bit, end - page);
            long mask = (n == 64 ? -1L : (1L << n) - 1) << bit;
            if (((long) WORD.getAcquire(taggedPages, word) & mask) != mask) {
                WORD.getAndBitwiseOr(taggedPages, word, mask);
            }
            page += n;
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
     * Commits every page now instead of at first touch, on all cores: like QEMU's {@code -mem-prealloc}, it moves
     * the cost of the host's page faults (far slower on a fresh virtualised host than a copy) out of the
     * migration. Only zeros are written, to pages that are still holes, so the content does not change.
     *
     * @return the time it took, in milliseconds
     */
    public long prefault() {
        long start = System.nanoTime();
        int step = 4096;
        long blocks = (size + (64L << 20) - 1) >>> 26;
        java.util.stream.LongStream.range(0, blocks).parallel().forEach(block -> {
            long end = Math.min(size, (block + 1) << 26);
            for (long offset = block << 26; offset < end; offset += step) {
                ByteBuffer chunk = chunk(offset);
                int at = offsetInChunk(offset);
                // Writes zeros without marking the page written: it stays a hole in content.
                if (chunk.getLong(at) == 0) {
                    chunk.putLong(at, 0);
                }
            }
            if (canHoldTags) {
                for (long offset = block << 26; offset < end; offset += step << 4) {
                    if (tag(offset) == 0) {
                        setTag(offset, 0);
                    }
                }
            }
        });
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Gives the memory back to the host at once. Nothing may touch it afterwards: stop the vCPUs first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (FileChannel d = dataFile; FileChannel t = tagFile) {
            d.truncate(0);
            if (t != null) {
                t.truncate(0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release host memory", e);
        }
    }
}
