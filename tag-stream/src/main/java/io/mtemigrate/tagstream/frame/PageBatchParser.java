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
 * Validates a whole page-batch frame before anyone sees it: counts and lengths against the
 * limits, every flag, every section boundary, every run. A frame that passes can be applied
 * without further bounds checks; one that fails never becomes a {@link PageBatch}.
 */
final class PageBatchParser {

    private final long frameIndex;
    private final long offset;

    private PageBatchParser(long frameIndex, long offset) {
        this.frameIndex = frameIndex;
        this.offset = offset;
    }

    /**
     * @param frame the frame from byte 0 to its CRC; on success owned by the returned batch, on
     *              failure still owned by the caller
     */
    static PageBatch parse(ByteBuf frame, long frameIndex, long offset, FrameLimits limits, ByteBufAllocator alloc) {
        return new PageBatchParser(frameIndex, offset).parse(frame, limits, alloc);
    }

    private PageBatch parse(ByteBuf frame, FrameLimits limits, ByteBufAllocator alloc) {
        int frameLength = frame.readableBytes();
        if (frameLength < HEADER_LENGTH + FrameLayout.CRC_LENGTH) {
            throw fail("page-batch frame of " + frameLength + " bytes is shorter than its " + HEADER_LENGTH
                    + "-byte header and CRC");
        }
        long pageCount = frame.getUnsignedIntLE(PAGE_COUNT_OFFSET);
        if (pageCount < 1 || pageCount > limits.maxPagesPerBatch()) {
            throw fail("page count " + pageCount + ", expected 1.." + limits.maxPagesPerBatch());
        }
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
        long dataLength = frame.getUnsignedIntLE(DATA_LENGTH_OFFSET);
        long tagLength = frame.getUnsignedIntLE(TAG_LENGTH_OFFSET);
        long tagRawLength = frame.getUnsignedIntLE(TAG_RAW_LENGTH_OFFSET);
        long expectedLength = HEADER_LENGTH + pageCount + dataLength + tagLength + FrameLayout.CRC_LENGTH;
        if (expectedLength != frameLength) {
            throw fail("sections of " + pageCount + " flags, " + dataLength + " data and " + tagLength
                    + " tag bytes need a frame of " + expectedLength + " bytes, frame is " + frameLength);
        }
        boolean tagsCompressed = (batchFlags & BATCH_TAGS_ZSTD) != 0;
        // Never more than a frame: a legal sender's worst case (every page's tags packed) fits in one,
        // and this length is allocated before the block is decompressed.
        long maxTagRaw = Math.min(pageCount * pageSize.packedTagBytes(), limits.maxFrameBytes());
        if (tagsCompressed ? tagRawLength > maxTagRaw : tagRawLength != tagLength) {
            throw fail("tag section of " + tagRawLength + " bytes before compression, expected "
                    + (tagsCompressed ? "at most " + maxTagRaw : String.valueOf(tagLength)));
        }

        int count = (int) pageCount;
        int dataStart = HEADER_LENGTH + count;
        int tagWireStart = dataStart + (int) dataLength;
        int[] dataOffsets = checkDataSection(frame, count, pageSize, dataStart, tagWireStart);

        ByteBuf tagSection = tagsCompressed
                ? decompressTags(frame, tagWireStart, (int) tagLength, (int) tagRawLength, alloc) : frame;
        int tagStart = tagsCompressed ? 0 : tagWireStart;
        try {
            checkTagSection(frame, tagSection, count, pageSize, tagStart, tagStart + (int) tagRawLength);
            return new PageBatch(frame, tagSection, tagStart, dataOffsets, pageSize, frameIndex, offset);
        } catch (RuntimeException e) {
            if (tagSection != frame) {
                tagSection.release();
            }
            throw e;
        }
    }

    private int[] checkDataSection(ByteBuf frame, int count, PageSize pageSize, int start, int end) {
        int[] offsets = new int[count];
        int at = start;
        for (int i = 0; i < count; i++) {
            int flags = frame.getUnsignedByte(PAGE_FLAGS_OFFSET + i);
            if ((flags & RESERVED_PAGE_FLAGS) != 0 || TagKind.ofCodeOrNull(tagKindCode(flags)) == null) {
                throw fail("page " + i + " has flags 0x" + Integer.toHexString(flags)
                        + ", expected data kind 0..2 in bits 0-2, tag kind 0..3 in bits 3-5, bits 6-7 clear");
            }
            offsets[i] = at;
            int entry = switch (dataKind(flags)) {
                case DATA_ZERO -> 0;
                case DATA_RAW -> pageSize.bytes();
                case DATA_ZSTD -> zstdEntryLength(frame, i, at, end, pageSize);
                default -> throw fail("page " + i + " has data kind " + dataKind(flags) + ", expected 0, 1 or 2");
            };
            if (entry > end - at) {
                throw fail("data of page " + i + " (" + entry + " bytes at frame offset " + at
                        + ") runs past the data section ending at " + end);
            }
            at += entry;
        }
        if (at != end) {
            throw fail("data section holds " + (end - start) + " bytes, its pages use " + (at - start));
        }
        return offsets;
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
