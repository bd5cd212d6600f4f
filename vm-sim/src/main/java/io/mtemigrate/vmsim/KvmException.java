package io.mtemigrate.vmsim;

/**
 * A KVM ioctl failed: the call returned {@code -errno}. The message says which check refused it, so a VMM can
 * tell a user what to change; {@link #errno()} is what a real kernel would have returned.
 */
public final class KvmException extends RuntimeException {
    private final Errno errno;

    public KvmException(Errno errno, String message) {
        super(errno + ": " + message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
