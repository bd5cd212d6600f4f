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

    public void set(long page) {
        WORD.getAndBitwiseOr(words, (int) (page >>> 6), 1L << page);
    }
}
