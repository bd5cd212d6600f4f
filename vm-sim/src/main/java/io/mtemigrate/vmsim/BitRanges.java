package io.mtemigrate.vmsim;

/**
 * Bit ranges of page bitmaps (bit p of word p / 64), set a word at a time: the loops that mark a gigabyte of pages
 * run on the switch to post-copy, in the downtime, often before the JIT has seen them.
 */
public final class BitRanges {
    private BitRanges() {
    }

    /** The mask of bits {@code [from, to)} within the word that holds {@code from}; {@code to} may lie beyond it. */
    public static long wordMask(long from, long to) {
        long end = Math.min(to, (from | 63) + 1);
        long bits = end - from;
        return (bits == 64 ? -1L : (1L << bits) - 1) << from;
    }

    /** Sets bits {@code [from, to)}. */
    public static void set(long[] words, long from, long to) {
        for (long bit = from; bit < to; bit = (bit | 63) + 1) {
            words[(int) (bit >>> 6)] |= wordMask(bit, to);
        }
    }

    public static boolean isSet(long[] words, long bit) {
        return (words[(int) (bit >>> 6)] & (1L << bit)) != 0;
    }

    /** The first set bit at or after {@code from}, or {@code limit} when there is none before it. */
    public static long nextSet(long[] words, long from, long limit) {
        return next(words, from, limit, false);
    }

    /** The first clear bit at or after {@code from}, or {@code limit} when there is none before it. */
    public static long nextClear(long[] words, long from, long limit) {
        return next(words, from, limit, true);
    }

    private static long next(long[] words, long from, long limit, boolean clear) {
        for (long bit = from; bit < limit; bit = (bit | 63) + 1) {
            long word = words[(int) (bit >>> 6)];
            long ahead = (clear ? ~word : word) >>> bit;
            if (ahead != 0) {
                return Math.min(limit, bit + Long.numberOfTrailingZeros(ahead));
            }
        }
        return limit;
    }
}
