package io.mtemigrate.vmsim.os;

import java.io.IOException;
import java.io.UncheckedIOException;

/** A libc call that failed: which call, its errno and what it was asked to do, all in the message. */
public final class OsCallException extends UncheckedIOException {
    private final String call;
    private final int errno;
    private final String errnoName;

    OsCallException(String call, int errno, String errnoName, String what) {
        super(new IOException(call + " failed with " + errnoName + ": " + what));
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The call as the message names it, e.g. {@code madvise(MADV_POPULATE_WRITE)}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code EFAULT}, or {@code errno N} when libc knows none. */
    public String errnoName() {
        return errnoName;
    }
}
