package io.mtemigrate.tagstream.tags;

import io.netty.buffer.ByteBuf;

/**
 * Run-length encoding of one page's tags, for allocator-like pages where blocks of 16 B to a few
 * KiB share a tag. Layout (little-endian):
 *
 * <pre>
 *   0        2        4              2 + 2n
 *   +--------+--------+-- ... --+--------+
 *   | n runs | run 0  |          | run n-1|     run = u16 (length - 1) &lt;&lt; 4 | tag
 *   +--------+--------+-- ... --+--------+
 * </pre>
 *
 * A run's length is 1..4096 granules (a 64 KiB page has 4096), so it fits the 12 upper bits.
 */
public final class TagRle {

    private TagRle() {
    }

    /** Encoded size of a page with {@code runs} runs. */
    public static int encodedSize(int runs) {
        return 2 + 2 * runs;
    }

    /** Appends the runs of {@code granules} kernel-format tags at {@code index} to {@code out}. */
    public static void encode(ByteBuf tags, int index, int granules, int runs, ByteBuf out) {
        out.writeShortLE(runs);
        int tag = tags.getByte(index) & 0x0F;
        int runStart = 0;
        int i = 0;
        while (i < granules) {
            // Skip eight equal tags at once: long runs are the reason to pick this encoding.
            if (i + 8 <= granules && (tags.getLongLE(index + i) & KernelTags.TAG_MASK) == tag * KernelTags.REPEAT_BYTE) {
                i += 8;
                continue;
            }
            int t = tags.getByte(index + i) & 0x0F;
            if (t != tag) {
                out.writeShortLE((i - runStart - 1) << 4 | tag);
                tag = t;
                runStart = i;
            }
            i++;
        }
        out.writeShortLE((granules - runStart - 1) << 4 | tag);
    }

    /**
     * Checks that the runs at {@code index} (at most {@code available} bytes) cover exactly
     * {@code granules} granules; returns the encoded size, or a negative value when they do not.
     * The caller turns that into an error naming its frame.
     */
    public static int validate(ByteBuf wire, int index, int available, int granules) {
        if (available < 2) {
            return -1;
        }
        int runs = wire.getUnsignedShortLE(index);
        if (runs < 1 || runs > granules || encodedSize(runs) > available) {
            return -1;
        }
        int covered = 0;
        for (int r = 0; r < runs; r++) {
            covered += (wire.getUnsignedShortLE(index + 2 + 2 * r) >>> 4) + 1;
        }
        return covered == granules ? encodedSize(runs) : -1;
    }

    /** Writes {@code granules} kernel-format tags at {@code dstIndex}; the runs must have been validated. */
    public static void decode(ByteBuf wire, int index, ByteBuf dst, int dstIndex) {
        int runs = wire.getUnsignedShortLE(index);
        int at = dstIndex;
        for (int r = 0; r < runs; r++) {
            int run = wire.getUnsignedShortLE(index + 2 + 2 * r);
            int length = (run >>> 4) + 1;
            TagFill.fill(dst, at, length, run & 0x0F);
            at += length;
        }
    }
}
