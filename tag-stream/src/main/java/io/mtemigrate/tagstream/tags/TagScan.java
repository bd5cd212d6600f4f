package io.mtemigrate.tagstream.tags;

import io.netty.buffer.ByteBuf;

/**
 * One pass over a page's kernel-format tags that says everything the encoding choice needs: the
 * number of runs of equal tags (1 means uniform) and the first tag. It reads longs, eight tags at
 * a time, and allocates nothing.
 */
public final class TagScan {

    private static final long LOW_SEVEN_BYTES = 0x00FF_FFFF_FFFF_FFFFL;
    private static final long LOW_BIT_OF_EACH_BYTE = 0x0101_0101_0101_0101L;

    private TagScan() {
    }

    /**
     * Number of maximal runs of equal tags among {@code granules} kernel-format bytes at
     * {@code index} (upper nibbles ignored). {@code granules} is a positive multiple of 8.
     */
    public static int countRuns(ByteBuf tags, int index, int granules) {
        int transitions = 0;
        long previousLast = tags.getLongLE(index) & KernelTags.TAG_MASK & 0xFF;
        for (int i = 0; i < granules; i += 8) {
            long w = tags.getLongLE(index + i) & KernelTags.TAG_MASK;
            // Byte j of the difference is non-zero where tag j differs from tag j+1 (7 pairs).
            long diff = (w ^ (w >>> 8)) & LOW_SEVEN_BYTES;
            transitions += nonZeroBytes(diff);
            if ((w & 0xFF) != previousLast) {
                transitions++;
            }
            previousLast = w >>> 56;
        }
        return transitions + 1;
    }

    /** The first tag of the page (0..15); with one run it is the tag of every granule. */
    public static int firstTag(ByteBuf tags, int index) {
        return tags.getByte(index) & 0x0F;
    }

    // Each byte of v holds at most 4 significant bits (an xor of two nibbles).
    private static int nonZeroBytes(long v) {
        long any = (v | (v >>> 1) | (v >>> 2) | (v >>> 3)) & LOW_BIT_OF_EACH_BYTE;
        return Long.bitCount(any);
    }
}
