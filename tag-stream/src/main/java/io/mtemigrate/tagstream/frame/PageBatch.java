package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.PageBatchLayout.*;

import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.ZstdDecompression;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.TagKind;
import io.mtemigrate.tagstream.tags.TagRle;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AbstractReferenceCounted;
import java.nio.ByteBuffer;

/**
 * One received, already validated page-batch frame ({@link PageBatchLayout}), read in place: it
 * holds a retained slice of the received bytes, never a copy. Whoever receives it releases it.
 * It holds the payload (the raw pages) too when it came from a {@link FrameDecoder}; a
 * {@link LandingReceiver} has the payload land in guest memory instead and hands on only the
 * checked part ({@link #hasPayload()} false).
 *
 * <p>Pages are applied by index, with no object per page: {@link #copyPageData} per page, then
 * one {@link #decodeTags} for the whole run, so the target issues one COPY_TAGS TO_GUEST per
 * batch. Thread-safe for concurrent reads: it only uses absolute accesses on a private view.
 */
public final class PageBatch extends AbstractReferenceCounted {

    private static final byte[] ZEROS = new byte[PageSize.SIZE_64K.bytes()];

    private final ByteBuf frame;
    private final ByteBuffer view;
    private final ByteBuf tagSection;
    private final int tagStart;
    /** A compressed page's entry in the frame; a raw page's place in the payload. */
    private final int[] dataOffsets;
    /** Where the payload starts in the frame, or -1 when it landed elsewhere. */
    private final int payloadStart;
    private final int frameLength;
    private final PageSize pageSize;
    private final int slot;
    private final int pageCount;
    private final long round;
    private final long firstPage;
    private final long frameIndex;
    private final long streamOffset;

    /** Built by {@link PageBatchParser}, which validated every offset used here. */
    PageBatch(ByteBuf frame, int payloadStart, int frameLength, ByteBuf tagSection, int tagStart, int[] dataOffsets,
              PageSize pageSize, long frameIndex, long streamOffset) {
        this.frame = frame;
        this.payloadStart = payloadStart;
        this.frameLength = frameLength;
        this.view = frame.nioBuffer(0, frame.readableBytes());
        this.tagSection = tagSection;
        this.tagStart = tagStart;
        this.dataOffsets = dataOffsets;
        this.pageSize = pageSize;
        this.slot = frame.getIntLE(SLOT_OFFSET);
        this.pageCount = frame.getIntLE(PAGE_COUNT_OFFSET);
        this.round = frame.getLongLE(ROUND_OFFSET);
        this.firstPage = frame.getLongLE(FIRST_PAGE_OFFSET);
        this.frameIndex = frameIndex;
        this.streamOffset = streamOffset;
    }

    public int slot() {
        return slot;
    }

    public long round() {
        return round;
    }

    /** Index within the memslot of the batch's first page. */
    public long firstPage() {
        return firstPage;
    }

    public int pageCount() {
        return pageCount;
    }

    public int pageSize() {
        return pageSize.bytes();
    }

    /** Bytes of the whole frame as sent (header, sections, CRC, payload). */
    public int frameBytes() {
        return frameLength;
    }

    /** Page data bytes on the wire: the inline (compressed) ones and the payload. */
    public int pageDataBytes() {
        return frame.getIntLE(INLINE_LENGTH_OFFSET) + rawPages() * pageSize.bytes();
    }

    /** Whether the raw pages are in this batch; false when they landed in guest memory straight from the socket. */
    public boolean hasPayload() {
        return payloadStart >= 0;
    }

    /** Pages whose data travels raw in the payload. */
    public int rawPages() {
        int raw = 0;
        for (int i = 0; i < pageCount; i++) {
            if (isDataRaw(i)) {
                raw++;
            }
        }
        return raw;
    }

    /** Whether page {@code i}'s data travels raw, in the payload. */
    public boolean isDataRaw(int i) {
        return dataKind(flags(i)) == DATA_RAW;
    }

    public int tagBytes() {
        return frame.getIntLE(TAG_LENGTH_OFFSET);
    }

    /** Data and tags both zero: the page travelled as a flag. */
    public boolean isZeroPage(int i) {
        return isDataZero(i) && tagKind(i) == TagKind.ZERO;
    }

    /** Data all zero (its tags may still be non-zero). */
    public boolean isDataZero(int i) {
        return dataKind(flags(i)) == DATA_ZERO;
    }

    public TagKind tagKind(int i) {
        return TagKind.ofCodeOrNull(tagKindCode(flags(i)));
    }

    /**
     * Writes page {@code i}'s data at absolute {@code dstOffset} of {@code dst} (its position and
     * limit do not change), decompressing it if needed.
     *
     * <p>A page whose data is zero is written as zeros only with {@code zeroFill}: a fresh target
     * page already reads as zeros, but a page sent again in a later round may have held data, so
     * pass {@code true} unless the destination is known to be zero.
     *
     * <p>A raw page needs the payload ({@link #hasPayload()}).
     *
     * @return whether bytes were written
     * @throws FrameException when a compressed page does not decompress to exactly one page;
     *                        the destination page is then undefined and the batch must not be applied
     */
    public boolean copyPageData(int i, ByteBuffer dst, int dstOffset, boolean zeroFill) {
        int size = pageSize.bytes();
        if (dstOffset < 0 || dstOffset > dst.limit() - size) {
            throw new IndexOutOfBoundsException("page " + i + " does not fit at offset " + dstOffset + " of a "
                    + dst.limit() + "-byte buffer");
        }
        int kind = dataKind(flags(i));
        if (kind == DATA_ZERO) {
            if (zeroFill) {
                dst.put(dstOffset, ZEROS, 0, size);
            }
            return zeroFill;
        }
        int at = dataOffsets[i];
        if (kind == DATA_RAW) {
            if (payloadStart < 0) {
                throw new IllegalStateException("page " + i + " landed in guest memory; this batch has no payload");
            }
            dst.put(dstOffset, view, payloadStart + at, size);
            return true;
        }
        int length = frame.getIntLE(at);
        try {
            ZstdDecompression.decompress(view, at + ZSTD_PAGE_PREFIX, length, dst, dstOffset, size);
        } catch (IllegalArgumentException e) {
            throw new FrameException(frameIndex, streamOffset, "page " + i + " (page " + (firstPage + i) + " of slot "
                    + slot + "): " + e.getMessage(), e);
        }
        return true;
    }

    /**
     * Writes the tags of all pages, {@code pageCount * pageSize / 16} bytes in the kernel format,
     * at absolute {@code dstOffset} of {@code dst}: ready for one COPY_TAGS TO_GUEST over the run.
     */
    public void decodeTags(ByteBuffer dst, int dstOffset) {
        int granules = pageSize.granules();
        long total = (long) pageCount * granules;
        if (dstOffset < 0 || dstOffset + total > dst.limit()) {
            throw new IndexOutOfBoundsException(total + " tag bytes do not fit at offset " + dstOffset + " of a "
                    + dst.limit() + "-byte buffer");
        }
        ByteBuf out = Unpooled.wrappedBuffer(dst.duplicate().position(0));
        try {
            int at = tagStart;
            for (int i = 0; i < pageCount; i++) {
                TagKind kind = tagKind(i);
                PageTagCodec.decode(kind, tagSection, at, pageSize, out, dstOffset + i * granules);
                at += switch (kind) {
                    case ZERO -> 0;
                    case UNIFORM -> 1;
                    case PACKED -> pageSize.packedTagBytes();
                    case RLE -> TagRle.encodedSize(tagSection.getUnsignedShortLE(at));
                };
            }
        } finally {
            out.release();
        }
    }

    @Override
    public PageBatch retain() {
        super.retain();
        return this;
    }

    @Override
    public PageBatch retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public PageBatch touch() {
        return touch(null);
    }

    @Override
    public PageBatch touch(Object hint) {
        frame.touch(hint);
        return this;
    }

    @Override
    protected void deallocate() {
        frame.release();
        if (tagSection != frame) {
            tagSection.release();
        }
    }

    @Override
    public String toString() {
        return "PageBatch{slot=" + slot + ", round=" + round + ", firstPage=" + firstPage + ", pageCount=" + pageCount
                + ", pageSize=" + pageSize.bytes() + ", frame=" + frameIndex + "}";
    }

    private int flags(int i) {
        if (i < 0 || i >= pageCount) {
            throw new IndexOutOfBoundsException("page " + i + " of a batch of " + pageCount);
        }
        return frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i);
    }
}
