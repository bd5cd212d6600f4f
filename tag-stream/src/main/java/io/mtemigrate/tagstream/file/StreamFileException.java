package io.mtemigrate.tagstream.file;

import java.io.IOException;

/**
 * A stream file that cannot be replayed: truncated, corrupt, or of another format version. The
 * message names the file, the byte offset and what was expected there.
 */
public class StreamFileException extends IOException {

    private final long offset;

    public StreamFileException(Object file, long offset, String problem) {
        this(file, offset, problem, null);
    }

    public StreamFileException(Object file, long offset, String problem, Throwable cause) {
        super(file + " at byte offset " + offset + ": " + problem, cause);
        this.offset = offset;
    }

    /** Offset in the file of the first byte found wrong. */
    public long offset() {
        return offset;
    }
}
