package io.mtemigrate.vmsim.emu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One memslot's dirty bitmap in the kernel's layout; every operation on a word is atomic. */
final class DirtyBitmap {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] words;
    private final long pages;

    DirtyBitmap(long pages, boolean initiallySet) {
        this.pages = pages;
        this.words = new long[wordsFor(pages)];
        if (initiallySet) {
            for (long page = 0; page < pages; page += 64) {
                long remaining = pages - page;
                words[(int) (page >>> 6)] = remaining >= 64 ? -1L : (1L << remaining) - 1;
            }
        }
    }

    static int wordsFor(long pages) {
        return Math.toIntExact((pages + 63) >>> 6);
    }

    int words() {
        return words.length;
    }

    long pages() {
        return pages;
    }

    /** Called after the store it records is in memory: a reader that clears the bit first will see the store. */
    void mark(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        // The read skips the atomic write in the common case of an already dirty page; the caller's preceding
        // fence (see DeferredDirtyMarks) keeps the store ordered before this read.
        if (((long) WORD.getVolatile(words, word) & bit) == 0) {
            WORD.getAndBitwiseOr(words, word, bit);
        }
    }

    long get(int word) {
        return (long) WORD.getVolatile(words, word);
    }

    long fetchAndClear(int word) {
        return (long) WORD.getAndSet(words, word, 0L);
    }

    /** Clears {@code mask}'s bits in {@code word}; returns which of them were set. */
    long clear(int word, long mask) {
        return (long) WORD.getAndBitwiseAnd(words, word, ~mask) & mask;
    }
}
