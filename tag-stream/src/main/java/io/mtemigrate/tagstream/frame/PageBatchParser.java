package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.PageBatchLayout.*;

import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.ZstdDecompression;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.TagKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * Validates a page-batch frame before anyone sees it, in two steps a receiver takes as bytes
 * arrive: {@link #checkedLength} from the 48-byte header (counts and lengths against the limits,
 * before anything is buffered), then {@link #parse} of the checked part (CRC, every flag, every
 * section boundary, every run, and that the payload the flags imply is the payload the length
 * gives). A frame that passes can be applied without further bounds checks; one that fails never
 * becomes a {@link PageBatch}.
 */
final class PageBatchParser {

    private final long frameIndex;
    private final long offset;

    private PageBatchParser(long frameIndex, long offset) {
        this.frameIndex = frameIndex;
        this.offset = offset;
    }

    /**
     * The checked part's length, from the header at {@code start} of a frame of {@code frameLength}
     * bytes whose prefix was checked; the 48 header bytes must be readable.
     */
    static int checkedLength(ByteBuf in, int start, long frameLength, FrameLimits limits, long frameIndex,
                             long offset) {
        PageBatchParser parser = new PageBatchParser(frameIndex, offset);
        if (frameLength < HEADER_LENGTH + FrameLayout.CRC_LENGTH) {
            throw parser.fail("page-batch frame of " + frameLength + " bytes is shorter than its " + HEADER_LENGTH
                    + "-byte header and CRC");
        }
        long pageCount = in.getUnsignedIntLE(start + PAGE_COUNT_OFFSET);
        if (pageCount < 1 || pageCount > limits.maxPagesPerBatch()) {
            throw parser.fail("page count " + pageCount + ", expected 1.." + limits.maxPagesPerBatch());
        }
        long inline = in.getUnsignedIntLE(start + INLINE_LENGTH_OFFSET);
        long tags = in.getUnsignedIntLE(start + TAG_LENGTH_OFFSET);
        long checked = PageBatchLayout.checkedLength(pageCount, inline, tags);
        if (checked > frameLength) {
            throw parser.fail("sections of " + pageCount + " flags, " + inline + " inline data and " + tags
                    + " tag bytes need " + checked + " bytes before the payload, frame is " + frameLength);
        }
        return (int) checked;
    }

    /**
     * @param frame   the checked part from byte 0 through its CRC, followed by the payload when
     *                {@code payloadIncluded}; on success owned by the returned batch, on failure
     *                still owned by the caller
     * @param frameLength the frame length its prefix gives, payload included
     */
    static PageBatch parse(ByteBuf frame, boolean payloadIncluded, long frameLength, long frameIndex, long offset,
                           FrameLimits limits, ByteBufAllocator alloc) {
        return new PageBatchParser(frameIndex, offset).parse(frame, payloadIncluded, frameLength, limits, alloc);
    }

    private PageBatch parse(ByteBuf frame, boolean payloadIncluded, long frameLength, FrameLimits limits,
                            ByteBufAllocator alloc) {
        int checked = checkedLength(frame, 0, frameLength, limits, frameIndex, offset);
        if (frame.readableBytes() != (payloadIncluded ? frameLength : checked)) {
            throw fail("page-batch frame holds " + frame.readableBytes() + " bytes, expected "
                    + (payloadIncluded ? frameLength : checked));
        }
        int stored = frame.getIntLE(checked - FrameLayout.CRC_LENGTH);
        int computed = FrameLayout.crc32c(frame, 0, checked - FrameLayout.CRC_LENGTH);
        if (stored != computed) {
            throw fail("CRC32C mismatch: frame carries 0x" + Integer.toHexString(stored) + ", its "
                    + (checked - FrameLayout.CRC_LENGTH) + " checked bytes give 0x" + Integer.toHexString(computed));
        }
        if (frame.getUnsignedShortLE(FrameLayout.RESERVED_OFFSET) != 0) {
            throw fail("reserved prefix bytes are not zero");
        }
        int count = frame.getIntLE(PAGE_COUNT_OFFSET);
        int shift = frame.getUnsignedByte(PAGE_SHIFT_OFFSET);
        PageSize pageSize = PageSize.ofShiftOrNull(shift);
        if (pageSize == null) {
            throw fail("page size shift " + shift + ", expected 12, 14 or 16 (4, 16 or 64 KiB)");
        }
        int batchFlags = frame.getUnsignedByte(BATCH_FLAGS_OFFSET);
        if ((batchFlags & ~KNOWN_BATCH_FLAGS) != 0 || frame.getUnsignedShortLE(BATCH_RESERVED_OFFSET) != 0) {
            throw fail("unknown batch flags 0x" + Integer.toHexString(batchFlags) + " or non-zero reserved bytes");
        }
        if (frame.getLongLE(ROUND_OFFSET) < 0 || frame.getLongLE(FIRST_PAGE_OFFSET) < 0 || frame.getIntLE(SLOT_OFFSET) < 0) {
            throw fail("negative slot, round or first page");
        }
        long inlineLength = frame.getUnsignedIntLE(INLINE_LENGTH_OFFSET);
        long tagLength = frame.getUnsignedIntLE(TAG_LENGTH_OFFSET);
        long tagRawLength = frame.getUnsignedIntLE(TAG_RAW_LENGTH_OFFSET);
        boolean tagsCompressed = (batchFlags & BATCH_TAGS_ZSTD) != 0;
        // Never more than a frame: a legal sender's worst case (every page's tags packed) fits in one,
        // and this length is allocated before the block is decompressed.
        long maxTagRaw = Math.min((long) count * pageSize.packedTagBytes(), limits.maxFrameBytes());
        if (tagsCompressed ? tagRawLength > maxTagRaw : tagRawLength != tagLength) {
            throw fail("tag section of " + tagRawLength + " bytes before compression, expected "
                    + (tagsCompressed ? "at most " + maxTagRaw : String.valueOf(tagLength)));
        }

        int inlineStart = HEADER_LENGTH + count;
        int tagWireStart = inlineStart + (int) inlineLength;
        int[] dataOffsets = new int[count];
        long payload = checkDataSection(frame, count, pageSize, inlineStart, tagWireStart, dataOffsets);
        if (checked + payload != frameLength) {
            throw fail("the flags give " + payload / pageSize.bytes() + " raw pages, a payload of " + payload
                    + " bytes after the " + checked + " checked ones, and the frame is " + frameLength + " bytes");
        }

        ByteBuf tagSection = tagsCompressed
                ? decompressTags(frame, tagWireStart, (int) tagLength, (int) tagRawLength, alloc) : frame;
        int tagStart = tagsCompressed ? 0 : tagWireStart;
        try {
            checkTagSection(frame, tagSection, count, pageSize, tagStart, tagStart + (int) tagRawLength);
            return new PageBatch(frame, payloadIncluded ? checked : -1, (int) frameLength, tagSection, tagStart,
                    dataOffsets, pageSize, frameIndex, offset);
        } catch (RuntimeException e) {
            if (tagSection != frame) {
                tagSection.release();
            }
            throw e;
        }
    }

    /**
     * Checks every page's flags and the inline entries, filling in where each page's data starts: in the frame for a
     * compressed page, in the payload for a raw one. Returns the payload's length.
     */
    private long checkDataSection(ByteBuf frame, int count, PageSize pageSize, int start, int end, int[] offsets) {
        int at = start;
        long payload = 0;
        for (int i = 0; i < count; i++) {
            int flags = frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i);
            if ((flags & RESERVED_PAGE_FLAGS) != 0 || TagKind.ofCodeOrNull(tagKindCode(flags)) == null) {
                throw fail("page " + i + " has flags 0x" + Integer.toHexString(flags)
                        + ", expected data kind 0..2 in bits 0-2, tag kind 0..3 in bits 3-5, bits 6-7 clear");
            }
            switch (dataKind(flags)) {
                case DATA_ZERO -> offsets[i] = 0;
                case DATA_RAW -> {
                    offsets[i] = (int) payload;
                    payload += pageSize.bytes();
                }
                case DATA_ZSTD -> {
                    int entry = zstdEntryLength(frame, i, at, end, pageSize);
                    if (entry > end - at) {
                        throw fail("data of page " + i + " (" + entry + " bytes at frame offset " + at
                                + ") runs past the inline data ending at " + end);
                    }
                    offsets[i] = at;
                    at += entry;
                }
                default -> throw fail("page " + i + " has data kind " + dataKind(flags) + ", expected 0, 1 or 2");
            }
        }
        if (at != end) {
            throw fail("inline data holds " + (end - start) + " bytes, its compressed pages use " + (at - start));
        }
        return payload;
    }

    private int zstdEntryLength(ByteBuf frame, int page, int at, int end, PageSize pageSize) {
        if (end - at < ZSTD_PAGE_PREFIX) {
            throw fail("compressed page " + page + " has no room for its length at frame offset " + at);
        }
        long n = frame.getUnsignedIntLE(at);
        if (n < 1 || n + ZSTD_PAGE_PREFIX >= pageSize.bytes()) {
            throw fail("compressed page " + page + " claims " + n + " bytes, expected 1.."
                    + (pageSize.bytes() - ZSTD_PAGE_PREFIX - 1));
        }
        return ZSTD_PAGE_PREFIX + (int) n;
    }

    private void checkTagSection(ByteBuf frame, ByteBuf tags, int count, PageSize pageSize, int start, int end) {
        int at = start;
        for (int i = 0; i < count; i++) {
            TagKind kind = TagKind.ofCodeOrNull(tagKindCode(frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i)));
            int size = PageTagCodec.validate(kind, tags, at, end - at, pageSize);
            if (size < 0 || (kind == TagKind.RLE && size >= pageSize.packedTagBytes())) {
                throw fail("tags of page " + i + " (" + kind + ") are malformed at tag-section offset " + (at - start)
                        + ": expected a tag 0..15, packed nibbles, or runs covering exactly " + pageSize.granules()
                        + " granules in fewer bytes than packing");
            }
            at += size;
        }
        if (at != end) {
            throw fail("tag section holds " + (end - start) + " bytes, its pages use " + (at - start));
        }
    }

    private ByteBuf decompressTags(ByteBuf frame, int start, int length, int rawLength, ByteBufAllocator alloc) {
        ByteBuf raw = alloc.buffer(rawLength);
        try {
            ByteBuffer dst = raw.nioBuffer(0, rawLength);
            ZstdDecompression.decompress(frame.nioBuffer(start, length), 0, length, dst, 0, rawLength);
            raw.writerIndex(rawLength);
            return raw;
        } catch (IllegalArgumentException e) {
            raw.release();
            throw fail("compressed tag section: " + e.getMessage());
        }
    }

    private FrameException fail(String problem) {
        return new FrameException(frameIndex, offset, problem);
    }
}
