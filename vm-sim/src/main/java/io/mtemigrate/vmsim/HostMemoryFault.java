package io.mtemigrate.vmsim;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A write to guest memory that the host could not back. The kernel answers a store to a page of a full tmpfs
 * file with SIGBUS; the JVM turns a SIGBUS in an unsafe access (which a mapped buffer's accessors are) into an
 * {@link InternalError} on the faulting thread, sometimes a few instructions later. The process survives, and so
 * does the mapping, but the page was not written. A socket read straight into such a page (the target's landing
 * path) fails instead with EFAULT, since the kernel's own copy cannot fault the page in: an {@link IOException}
 * saying "Bad address".
 */
public final class HostMemoryFault {
    private HostMemoryFault() {
    }

    /** True for the error the JVM throws for such a fault, wherever in {@code error}'s causes it is. */
    public static boolean is(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof InternalError && String.valueOf(t.getMessage()).contains("unsafe memory access")) {
                return true;
            }
            if (t instanceof IOException && "Bad address".equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    /** What to tell the user: which memory, and the host's numbers now. */
    public static String explain(Path directory) {
        String numbers;
        try {
            numbers = HostCapacity.of(directory).describe();
        } catch (InsufficientMemory e) {
            numbers = e.getMessage();
        }
        return "the host could not back the guest's memory: a write to its memory file in " + directory
                + " faulted, because that file system is full or the host is out of memory (" + numbers + ")";
    }
}
