package io.mtemigrate.tagstream.tags;

import io.mtemigrate.tagstream.PageSize;
import io.netty.buffer.ByteBuf;

/**
 * One page's tags between the kernel format and the wire: scan once, let the policy choose,
 * write. Decoding takes the kind from the page's flag byte.
 */
public final class PageTagCodec {

    private PageTagCodec() {
    }

    /**
     * Appends the wire form of one page's tags to {@code out} and returns the kind used.
     *
     * @param kernelTags {@code pageSize.granules()} kernel-format bytes at {@code index}
     */
    public static TagKind encode(ByteBuf kernelTags, int index, PageSize pageSize, TagEncodingPolicy policy, ByteBuf out) {
        int granules = pageSize.granules();
        int runs = TagScan.countRuns(kernelTags, index, granules);
        int first = TagScan.firstTag(kernelTags, index);
        TagKind kind = policy.choose(runs, first, pageSize);
        switch (kind) {
            case ZERO -> {
                if (runs != 1 || first != 0) {
                    throw new IllegalStateException("policy chose ZERO for a page with non-zero tags");
                }
            }
            case UNIFORM -> {
                if (runs != 1) {
                    throw new IllegalStateException("policy chose UNIFORM for a page with " + runs + " runs");
                }
                out.writeByte(first);
            }
            case PACKED -> NibblePacker.pack(kernelTags, index, granules, out);
            case RLE -> TagRle.encode(kernelTags, index, granules, runs, out);
        }
        return kind;
    }

    /**
     * Size of a page's wire form at {@code index} (with at most {@code available} bytes), or a
     * negative value if it is malformed: a uniform tag above 15, runs that do not cover the page.
     */
    public static int validate(TagKind kind, ByteBuf wire, int index, int available, PageSize pageSize) {
        return switch (kind) {
            case ZERO -> 0;
            case UNIFORM -> available >= 1 && (wire.getByte(index) & 0xF0) == 0 ? 1 : -1;
            case PACKED -> available >= pageSize.packedTagBytes() ? pageSize.packedTagBytes() : -1;
            case RLE -> TagRle.validate(wire, index, available, pageSize.granules());
        };
    }

    /** Writes one page of kernel-format tags at {@code dstIndex} from a validated wire form. */
    public static void decode(TagKind kind, ByteBuf wire, int index, PageSize pageSize, ByteBuf dst, int dstIndex) {
        int granules = pageSize.granules();
        switch (kind) {
            case ZERO -> TagFill.fill(dst, dstIndex, granules, 0);
            case UNIFORM -> TagFill.fill(dst, dstIndex, granules, wire.getByte(index));
            case PACKED -> NibblePacker.unpack(wire, index, granules, dst, dstIndex);
            case RLE -> TagRle.decode(wire, index, dst, dstIndex);
        }
    }
}
