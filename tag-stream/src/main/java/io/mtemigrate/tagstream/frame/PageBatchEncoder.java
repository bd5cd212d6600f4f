package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.PageBatchLayout.*;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.ZeroScan;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.compress.Compressor;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.TagEncodingPolicy;
import io.mtemigrate.tagstream.tags.TagKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Encodes a run of guest pages and their kernel-format tags into one page-batch frame
 * ({@link PageBatchLayout}). Page data is read once, to take each page's CRC32C (the data part of
 * its fingerprint, and how zero pages are found) while it is in cache for the kernel's copy; raw
 * pages are not copied at all: the frame's payload is slices of the caller's memory. Zero pages
 * cost a flag; no object is created per page.
 *
 * <p>Reusable and not thread-safe: one per channel. {@link #close()} frees the compressors.
 */
public final class PageBatchEncoder implements AutoCloseable {

    private final FrameLimits limits;
    private final TagEncodingPolicy tagPolicy;
    private final Compressor pageCompressor;
    private final boolean compressPages;
    private final Compressor tagSectionCompressor;
    private final BatchCounters last = new BatchCounters();
    private final CRC32C crc = new CRC32C();
    private int[] scratchCrcs = new int[0];

    public PageBatchEncoder(EncoderConfig config) {
        this.limits = config.limits();
        this.tagPolicy = config.tagPolicy();
        this.pageCompressor = config.pageCompression().open();
        // A compressor that never compresses must not make the checked part reserve room for whole pages.
        this.compressPages = !(pageCompressor instanceof Compression.NoCompressor);
        this.tagSectionCompressor = config.tagSectionCompression().open();
    }

    /** Largest a frame of {@code pageCount} pages can get: every page raw, every page's tags packed. */
    public static long worstCaseFrameBytes(int pageCount, PageSize pageSize) {
        return (long) HEADER_LENGTH + pageCount + (long) pageCount * (pageSize.bytes() + pageSize.packedTagBytes())
                + FrameLayout.CRC_LENGTH;
    }

    /** The most pages one frame may carry under {@code limits}, whatever their content. */
    public static int maxPagesPerFrame(PageSize pageSize, FrameLimits limits) {
        long perPage = 1L + pageSize.bytes() + pageSize.packedTagBytes();
        long fit = (limits.maxFrameBytes() - HEADER_LENGTH - FrameLayout.CRC_LENGTH) / perPage;
        return (int) Math.min(fit, limits.maxPagesPerBatch());
    }

    /** As {@link #encode(ByteBufAllocator, int, long, long, int, int, ByteBuffer, int, ByteBuffer, int, int[])}, without the CRCs. */
    public ByteBuf encode(ByteBufAllocator alloc, int slot, long round, long firstPage, int pageCount, int pageSize,
                          ByteBuffer pageData, int pageDataOffset, ByteBuffer kernelTags, int tagsOffset) {
        if (scratchCrcs.length < pageCount) {
            scratchCrcs = new int[pageCount];
        }
        return encode(alloc, slot, round, firstPage, pageCount, pageSize, pageData, pageDataOffset, kernelTags,
                tagsOffset, scratchCrcs);
    }

    /**
     * Encodes pages {@code firstPage .. firstPage + pageCount - 1} of memslot {@code slot}.
     *
     * @param pageData       guest RAM; the run's pages lie contiguously from {@code pageDataOffset}.
     *                       Read with absolute indices only: its position and limit never change.
     *                       The frame's payload is slices of it: it must stay mapped until the frame
     *                       is released, and what the frame carries is what it holds when written
     * @param kernelTags     {@code pageCount * pageSize / 16} tag bytes from one COPY_TAGS FROM_GUEST
     *                       over the same range, from {@code tagsOffset}; read the same way
     * @param dataCrcs       receives, from index 0, the CRC32C of each page's data as it was read
     * @return the frame, owned by the caller (hand it to a {@code FrameSink} or a channel)
     * @throws IllegalArgumentException when an argument is out of range or the batch could exceed
     *                                  the frame limit
     */
    public ByteBuf encode(ByteBufAllocator alloc, int slot, long round, long firstPage, int pageCount, int pageSize,
                          ByteBuffer pageData, int pageDataOffset, ByteBuffer kernelTags, int tagsOffset,
                          int[] dataCrcs) {
        PageSize size = PageSize.ofBytes(pageSize);
        checkArguments(slot, round, firstPage, pageCount, size, pageData, pageDataOffset, kernelTags, tagsOffset);
        if (dataCrcs.length < pageCount) {
            throw new IllegalArgumentException(dataCrcs.length + " CRC slots for " + pageCount + " pages");
        }
        // Only compressed pages are written into the checked part; without compression it holds flags and tags.
        long inlineWorstCase = compressPages ? (long) pageCount * pageSize : 0;
        int checkedWorstCase = (int) (HEADER_LENGTH + pageCount + inlineWorstCase
                + (long) pageCount * size.packedTagBytes() + FrameLayout.CRC_LENGTH);

        // Wrappers give index-based, little-endian long access without touching the callers' buffers.
        ByteBuf ram = Unpooled.wrappedBuffer(pageData.duplicate().clear());
        ByteBuf tags = Unpooled.wrappedBuffer(kernelTags.duplicate().clear());
        ByteBuffer view = pageData.duplicate();
        ByteBuf frame = alloc.buffer(checkedWorstCase);
        CompositeByteBuf whole = null;
        boolean done = false;
        try {
            frame.writerIndex(HEADER_LENGTH + pageCount);
            int inlineStart = frame.writerIndex();
            int rawPages = 0;
            int zeroCrc = PageCrc.zeroPage(size);
            for (int i = 0; i < pageCount; i++) {
                int at = pageDataOffset + i * pageSize;
                int pageCrc = PageCrc.of(crc, view, at, pageSize);
                dataCrcs[i] = pageCrc;
                int kind = pageCrc == zeroCrc && ZeroScan.isZero(ram, at, pageSize) ? DATA_ZERO
                        : compressPages && compressPage(ram, at, pageSize, frame) ? DATA_ZSTD : DATA_RAW;
                frame.setByte(PAGE_FLAGS_OFFSET + i, kind);
                if (kind == DATA_RAW) {
                    rawPages++;
                }
            }
            int inlineLength = frame.writerIndex() - inlineStart;

            int tagStart = frame.writerIndex();
            int zeroPages = 0;
            for (int i = 0; i < pageCount; i++) {
                TagKind kind = PageTagCodec.encode(tags, tagsOffset + i * size.granules(), size, tagPolicy, frame);
                int flags = frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i) | kind.code() << TAG_KIND_SHIFT;
                frame.setByte(PAGE_FLAGS_OFFSET + i, flags);
                if (kind == TagKind.ZERO && dataKind(flags) == DATA_ZERO) {
                    zeroPages++;
                }
            }
            int tagRawLength = frame.writerIndex() - tagStart;
            int batchFlags = compressTagSection(alloc, frame, tagStart, tagRawLength);
            int tagLength = frame.writerIndex() - tagStart;

            int payloadLength = rawPages * pageSize;
            int frameLength = finish(frame, slot, round, firstPage, pageCount, size, batchFlags, inlineLength, tagLength,
                    tagRawLength, payloadLength);
            last.set(pageCount, zeroPages, frameLength, inlineLength + payloadLength, tagLength);
            if (rawPages == 0) {
                done = true;
                return frame;
            }
            whole = alloc.compositeDirectBuffer(pageCount + 1);
            whole.addComponent(true, frame);
            addPayload(whole, pageData, pageDataOffset, pageCount, pageSize, frame);
            done = true;
            return whole;
        } finally {
            ram.release();
            tags.release();
            if (!done) {
                if (whole != null) {
                    whole.release();
                } else {
                    frame.release();
                }
            }
        }
    }

    /** Appends each run of adjacent raw pages as one slice of guest memory: the payload, never copied. */
    private static void addPayload(CompositeByteBuf whole, ByteBuffer pageData, int pageDataOffset, int pageCount,
                                   int pageSize, ByteBuf frame) {
        int i = 0;
        while (i < pageCount) {
            if (dataKind(frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i)) != DATA_RAW) {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < pageCount && dataKind(frame.getUnsignedByte(PAGE_FLAGS_OFFSET + end)) == DATA_RAW) {
                end++;
            }
            ByteBuffer run = pageData.slice(pageDataOffset + i * pageSize, (end - i) * pageSize);
            whole.addComponent(true, Unpooled.wrappedBuffer(run));
            i = end;
        }
    }

    /**
     * A frame for {@code pageCount} pages the caller knows to be zero in data and tags (never-written memory):
     * only the header and one flag byte per page, without reading any page. Up to the limits' page count, so a
     * large untouched region costs a handful of frames.
     */
    public ByteBuf encodeZeros(ByteBufAllocator alloc, int slot, long round, long firstPage, int pageCount, int pageSize) {
        PageSize size = PageSize.ofBytes(pageSize);
        if (pageCount < 1 || pageCount > limits.maxPagesPerBatch() || firstPage < 0 || round < 0) {
            throw new IllegalArgumentException("a zero batch of " + pageCount + " pages from page " + firstPage
                    + " in round " + round);
        }
        ByteBuf frame = alloc.buffer(HEADER_LENGTH + pageCount + FrameLayout.CRC_LENGTH);
        // Flag 0 is DATA_ZERO with TagKind.ZERO.
        frame.writeZero(HEADER_LENGTH + pageCount);
        int frameLength = finish(frame, slot, round, firstPage, pageCount, size, 0, 0, 0, 0, 0);
        last.set(pageCount, pageCount, frameLength, 0, 0);
        return frame;
    }

    /** Fills in the header of a frame whose flags and sections are written, appends the CRC; returns the length. */
    private static int finish(ByteBuf frame, int slot, long round, long firstPage, int pageCount, PageSize size,
                              int batchFlags, int inlineLength, int tagLength, int tagRawLength, int payloadLength) {
        int frameLength = frame.writerIndex() + FrameLayout.CRC_LENGTH + payloadLength;
        FrameLayout.setPrefix(frame, 0, frameLength, FrameLayout.TYPE_PAGE_BATCH);
        frame.setIntLE(SLOT_OFFSET, slot);
        frame.setIntLE(PAGE_COUNT_OFFSET, pageCount);
        frame.setLongLE(ROUND_OFFSET, round);
        frame.setLongLE(FIRST_PAGE_OFFSET, firstPage);
        frame.setByte(PAGE_SHIFT_OFFSET, size.shift());
        frame.setByte(BATCH_FLAGS_OFFSET, batchFlags);
        frame.setShortLE(BATCH_RESERVED_OFFSET, 0);
        frame.setIntLE(INLINE_LENGTH_OFFSET, inlineLength);
        frame.setIntLE(TAG_LENGTH_OFFSET, tagLength);
        frame.setIntLE(TAG_RAW_LENGTH_OFFSET, tagRawLength);
        FrameLayout.appendCrc(frame, 0);
        return frameLength;
    }

    /** Counters of the frame {@link #encode} returned last; add them to a total, do not keep them. */
    public BatchCounters lastBatch() {
        return last;
    }

    @Override
    public void close() {
        pageCompressor.close();
        tagSectionCompressor.close();
    }

    /** Appends the page's compressed entry to the inline data when that is smaller than the page; whether it did. */
    private boolean compressPage(ByteBuf ram, int index, int pageSize, ByteBuf frame) {
        int at = frame.writerIndex();
        // Only worth it when prefix + compressed bytes are smaller than the raw page.
        int n = pageCompressor.compressInto(ram, index, pageSize, frame, at + ZSTD_PAGE_PREFIX,
                pageSize - ZSTD_PAGE_PREFIX - 1);
        if (n <= 0) {
            return false;
        }
        frame.setIntLE(at, n);
        frame.writerIndex(at + ZSTD_PAGE_PREFIX + n);
        return true;
    }

    /** Replaces the tag section by its zstd block when that is smaller; returns the batch flags. */
    private int compressTagSection(ByteBufAllocator alloc, ByteBuf frame, int tagStart, int tagRawLength) {
        if (tagRawLength < 64) {
            return 0; // zstd's own header would eat the gain
        }
        ByteBuf scratch = alloc.buffer(tagRawLength);
        try {
            int n = tagSectionCompressor.compressInto(frame, tagStart, tagRawLength, scratch, 0, tagRawLength - 1);
            if (n <= 0) {
                return 0;
            }
            frame.setBytes(tagStart, scratch, 0, n);
            frame.writerIndex(tagStart + n);
            return BATCH_TAGS_ZSTD;
        } finally {
            scratch.release();
        }
    }

    private void checkArguments(int slot, long round, long firstPage, int pageCount, PageSize size,
                                ByteBuffer pageData, int pageDataOffset, ByteBuffer kernelTags, int tagsOffset) {
        if (slot < 0 || round < 0 || firstPage < 0) {
            throw new IllegalArgumentException("slot " + slot + ", round " + round + " and first page " + firstPage
                    + " must not be negative");
        }
        if (pageCount < 1 || pageCount > limits.maxPagesPerBatch()) {
            throw new IllegalArgumentException("page count " + pageCount + " is outside 1.." + limits.maxPagesPerBatch());
        }
        long worstCase = worstCaseFrameBytes(pageCount, size);
        if (worstCase > limits.maxFrameBytes()) {
            throw new IllegalArgumentException(pageCount + " pages of " + size.bytes() + " bytes may take " + worstCase
                    + " bytes, above the " + limits.maxFrameBytes() + "-byte frame limit; send at most "
                    + maxPagesPerFrame(size, limits) + " pages per batch");
        }
        long dataEnd = pageDataOffset + (long) pageCount * size.bytes();
        if (pageDataOffset < 0 || dataEnd > pageData.limit()) {
            throw new IllegalArgumentException("page data [" + pageDataOffset + ", " + dataEnd + ") lies outside the "
                    + pageData.limit() + "-byte buffer");
        }
        long tagsEnd = tagsOffset + (long) pageCount * size.granules();
        if (tagsOffset < 0 || tagsEnd > kernelTags.limit()) {
            throw new IllegalArgumentException("tags [" + tagsOffset + ", " + tagsEnd + ") lie outside the "
                    + kernelTags.limit() + "-byte tag buffer");
        }
    }
}
