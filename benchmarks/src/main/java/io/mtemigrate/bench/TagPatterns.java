package io.mtemigrate.bench;

import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Kernel-format tags (one per byte) and guest pages as the tag-stream benchmarks feed them, seeded so every run
 * encodes the same bytes. The allocator-like pattern is the one of tag-stream's TagOverheadTest.
 */
public final class TagPatterns {
    private TagPatterns() {
    }

    public enum Pattern {
        /** Every tag 0: a page of an untagged heap. */
        ZERO,
        /** One non-zero tag per page. */
        UNIFORM,
        /** A random tag per granule: the worst case, only packing helps. */
        RANDOM,
        /** Blocks of 16 B .. 4 KiB sharing a tag, neighbours differing, as an MTE allocator leaves them. */
        ALLOC
    }

    /** Fills {@code granules} tags of {@code tags} from index 0; {@code granulesPerPage} matters for UNIFORM. */
    static void fill(Pattern pattern, ByteBuffer tags, int granules, int granulesPerPage, long seed) {
        Random random = new Random(seed);
        int previous = 0;
        for (int g = 0; g < granules; ) {
            int block = switch (pattern) {
                case ZERO -> granules;
                case UNIFORM -> granulesPerPage;
                case RANDOM -> 1;
                case ALLOC -> 1 + random.nextInt(256);
            };
            int tag;
            if (pattern == Pattern.ZERO) {
                tag = 0;
            } else if (pattern == Pattern.RANDOM) {
                tag = random.nextInt(16);
            } else {
                do {
                    tag = 1 + random.nextInt(15);
                } while (tag == previous);
            }
            previous = tag;
            for (int i = 0; i < block && g < granules; i++, g++) {
                tags.put(g, (byte) tag);
            }
        }
    }

    /** Random, never-zero page data: {@code bytes} bytes from index 0, a multiple of 8. */
    static void randomData(ByteBuffer data, int bytes, long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < bytes; i += 8) {
            data.putLong(i, random.nextLong() | 1);
        }
    }
}
