package io.mtemigrate.migration;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One bit per page, set atomically from any thread: channels may share a word. */
public final class PageBits {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] words;

    public PageBits(long pages) {
        words = new long[Math.toIntExact((pages + 63) >>> 6)];
    }

    public boolean get(long page) {
        return ((long) WORD.getAcquire(words, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /** Sets the bit; a bit already set costs a plain read, not an atomic write (pages are applied again and again). */
    public void set(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        if (((long) WORD.getAcquire(words, word) & bit) == 0) {
            WORD.getAndBitwiseOr(words, word, bit);
        }
    }

    /** Sets the bit and says whether this call did: of two threads claiming a page, exactly one gets true. */
    public boolean claim(long page) {
        int word = (int) (page >>> 6);
        long bit = 1L << page;
        return ((long) WORD.getAcquire(words, word) & bit) == 0
                && ((long) WORD.getAndBitwiseOr(words, word, bit) & bit) == 0;
    }

    /** The bits of word {@code index} (pages {@code 64 * index} on), as they are now. */
    public long word(int index) {
        return (long) WORD.getAcquire(words, index);
    }

    public int wordCount() {
        return words.length;
    }
}
