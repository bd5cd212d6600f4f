package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.PageBatchLayout.*;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.ZeroScan;
import io.mtemigrate.tagstream.compress.Compressor;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.TagEncodingPolicy;
import io.mtemigrate.tagstream.tags.TagKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;

/**
 * Encodes a run of guest pages and their kernel-format tags into one page-batch frame
 * ({@link PageBatchLayout}). Each non-zero page is copied once, from guest RAM straight into the
 * pooled frame buffer; zero pages cost a flag; no object is created per page.
 *
 * <p>Reusable and not thread-safe: one per channel. {@link #close()} frees the compressors.
 */
public final class PageBatchEncoder implements AutoCloseable {

    private final FrameLimits limits;
    private final TagEncodingPolicy tagPolicy;
    private final Compressor pageCompressor;
    private final Compressor tagSectionCompressor;
    private final BatchCounters last = new BatchCounters();

    public PageBatchEncoder(EncoderConfig config) {
        this.limits = config.limits();
        this.tagPolicy = config.tagPolicy();
        this.pageCompressor = config.pageCompression().open();
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

    /**
     * Encodes pages {@code firstPage .. firstPage + pageCount - 1} of memslot {@code slot}.
     *
     * @param pageData       guest RAM; the run's pages lie contiguously from {@code pageDataOffset}.
     *                       Read with absolute indices only: its position and limit never change.
     * @param kernelTags     {@code pageCount * pageSize / 16} tag bytes from one COPY_TAGS FROM_GUEST
     *                       over the same range, from {@code tagsOffset}; read the same way
     * @return the frame, owned by the caller (hand it to a {@code FrameSink} or a channel)
     * @throws IllegalArgumentException when an argument is out of range or the batch could exceed
     *                                  the frame limit
     */
    public ByteBuf encode(ByteBufAllocator alloc, int slot, long round, long firstPage, int pageCount, int pageSize,
                          ByteBuffer pageData, int pageDataOffset, ByteBuffer kernelTags, int tagsOffset) {
        PageSize size = PageSize.ofBytes(pageSize);
        checkArguments(slot, round, firstPage, pageCount, size, pageData, pageDataOffset, kernelTags, tagsOffset);
        int worstCase = (int) worstCaseFrameBytes(pageCount, size);

        // Wrappers give index-based, little-endian long access without touching the callers' buffers.
        ByteBuf ram = Unpooled.wrappedBuffer(pageData.duplicate().position(0));
        ByteBuf tags = Unpooled.wrappedBuffer(kernelTags.duplicate().position(0));
        ByteBuf frame = alloc.buffer(worstCase);
        boolean done = false;
        try {
            frame.writerIndex(HEADER_LENGTH + pageCount);
            int dataStart = frame.writerIndex();
            for (int i = 0; i < pageCount; i++) {
                frame.setByte(PAGE_FLAGS_OFFSET + i, writePageData(ram, pageDataOffset + i * pageSize, pageSize, frame));
            }
            int dataLength = frame.writerIndex() - dataStart;

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

            int frameLength = finish(frame, slot, round, firstPage, pageCount, size, batchFlags, dataLength, tagLength,
                    tagRawLength);
            last.set(pageCount, zeroPages, frameLength, dataLength, tagLength);
            done = true;
            return frame;
        } finally {
            ram.release();
            tags.release();
            if (!done) {
                frame.release();
            }
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
        int frameLength = finish(frame, slot, round, firstPage, pageCount, size, 0, 0, 0, 0);
        last.set(pageCount, pageCount, frameLength, 0, 0);
        return frame;
    }

    /** Fills in the header of a frame whose flags and sections are written, appends the CRC; returns the length. */
    private static int finish(ByteBuf frame, int slot, long round, long firstPage, int pageCount, PageSize size,
                              int batchFlags, int dataLength, int tagLength, int tagRawLength) {
        int frameLength = frame.writerIndex() + FrameLayout.CRC_LENGTH;
        FrameLayout.setPrefix(frame, 0, frameLength, FrameLayout.TYPE_PAGE_BATCH);
        frame.setIntLE(SLOT_OFFSET, slot);
        frame.setIntLE(PAGE_COUNT_OFFSET, pageCount);
        frame.setLongLE(ROUND_OFFSET, round);
        frame.setLongLE(FIRST_PAGE_OFFSET, firstPage);
        frame.setByte(PAGE_SHIFT_OFFSET, size.shift());
        frame.setByte(BATCH_FLAGS_OFFSET, batchFlags);
        frame.setShortLE(BATCH_RESERVED_OFFSET, 0);
        frame.setIntLE(DATA_LENGTH_OFFSET, dataLength);
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

    /** Appends one page's data section entry and returns its data kind. */
    private int writePageData(ByteBuf ram, int index, int pageSize, ByteBuf frame) {
        if (ZeroScan.isZero(ram, index, pageSize)) {
            return DATA_ZERO;
        }
        int at = frame.writerIndex();
        // Only worth it when prefix + compressed bytes are smaller than the raw page.
        int n = pageCompressor.compressInto(ram, index, pageSize, frame, at + ZSTD_PAGE_PREFIX,
                pageSize - ZSTD_PAGE_PREFIX - 1);
        if (n > 0) {
            frame.setIntLE(at, n);
            frame.writerIndex(at + ZSTD_PAGE_PREFIX + n);
            return DATA_ZSTD;
        }
        frame.writeBytes(ram, index, pageSize);
        return DATA_RAW;
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
