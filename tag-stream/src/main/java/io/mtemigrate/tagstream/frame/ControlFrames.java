package io.mtemigrate.tagstream.frame;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A control frame: the common prefix of {@link FrameLayout}, one serialized
 * {@link ControlMessage}, the CRC.
 *
 * <pre>
 *  0               4       5       6               8                    length-4        length
 *  +---------------+-------+-------+---------------+------- ... --------+---------------+
 *  | frame length  | type=1|version|  reserved = 0 |  ControlMessage    |    CRC32C     |
 *  +---------------+-------+-------+---------------+------- ... --------+---------------+
 * </pre>
 */
public final class ControlFrames {

    private ControlFrames() {
    }

    /** Encodes {@code message} into a new frame owned by the caller. */
    public static ByteBuf encode(ByteBufAllocator alloc, ControlMessage message, FrameLimits limits) {
        int size = message.getSerializedSize();
        if (size > limits.maxControlBytes()) {
            throw new IllegalArgumentException("control message " + message.getBodyCase() + " takes " + size
                    + " bytes, above the " + limits.maxControlBytes() + "-byte limit");
        }
        int frameLength = FrameLayout.MIN_FRAME_LENGTH + size;
        ByteBuf frame = alloc.buffer(frameLength);
        boolean done = false;
        try {
            write(message, frame, size);
            done = true;
            return frame;
        } finally {
            if (!done) {
                frame.release();
            }
        }
    }

    /**
     * Decodes the whole control frame of {@code frameLength} bytes at {@code start} whose prefix was
     * checked: CRC, reserved bytes, size limit, then the message.
     */
    static ControlMessage decode(ByteBuf in, int start, int frameLength, FrameLimits limits, long frameIndex,
                                 long offset) {
        FrameLayout.checkControlCrc(in, start, frameLength, frameIndex, offset);
        int size = frameLength - FrameLayout.MIN_FRAME_LENGTH;
        if (size > limits.maxControlBytes()) {
            throw new FrameException(frameIndex, offset, "control message of " + size + " bytes, expected at most "
                    + limits.maxControlBytes());
        }
        try {
            return ControlMessage.parseFrom(in.nioBuffer(start + FrameLayout.PREFIX_LENGTH, size));
        } catch (InvalidProtocolBufferException e) {
            throw new FrameException(frameIndex, offset,
                    "control frame does not hold a valid ControlMessage: " + e.getMessage(), e);
        }
    }

    /** Appends the frame of {@code message} (of serialized {@code size}) to {@code out}. */
    static void write(ControlMessage message, ByteBuf out, int size) {
        int start = out.writerIndex();
        out.ensureWritable(FrameLayout.MIN_FRAME_LENGTH + size);
        FrameLayout.setPrefix(out, start, FrameLayout.MIN_FRAME_LENGTH + size, FrameLayout.TYPE_CONTROL);
        // Serialize straight into the frame's memory: no intermediate byte[].
        ByteBuffer body = out.nioBuffer(start + FrameLayout.PREFIX_LENGTH, size);
        try {
            CodedOutputStream stream = CodedOutputStream.newInstance(body);
            message.writeTo(stream);
            stream.flush();
            stream.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("serializing " + message.getBodyCase() + " into its frame", e);
        }
        out.writerIndex(start + FrameLayout.PREFIX_LENGTH + size);
        FrameLayout.appendCrc(out, start);
    }
}
