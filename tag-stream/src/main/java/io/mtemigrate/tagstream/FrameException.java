package io.mtemigrate.tagstream;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A frame that must not be applied: wrong length, checksum, type, version or structure. The
 * message names the frame (its index in the stream and its byte offset) and what was expected.
 *
 * <p>It is a {@link CorruptedFrameException} so that Netty's {@code ByteToMessageDecoder} passes it
 * up the pipeline as it is rather than wrapping it.
 */
public class FrameException extends CorruptedFrameException {

    private final long frameIndex;
    private final long streamOffset;

    public FrameException(long frameIndex, long streamOffset, String problem) {
        this(frameIndex, streamOffset, problem, null);
    }

    public FrameException(long frameIndex, long streamOffset, String problem, Throwable cause) {
        super("frame " + frameIndex + " at byte offset " + streamOffset + ": " + problem, cause);
        this.frameIndex = frameIndex;
        this.streamOffset = streamOffset;
    }

    /** Index of the offending frame in its stream, counting from 0. */
    public long frameIndex() {
        return frameIndex;
    }

    /** Byte offset of the offending frame's first byte in its stream (or file). */
    public long streamOffset() {
        return streamOffset;
    }
}
