package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;

/** A userfaultfd call failed with {@code -errno}; the message says which check refused it. */
public final class UffdException extends RuntimeException {
    private final Errno errno;

    public UffdException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
