package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.FrameLayout.*;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes in; {@link ControlMessage}s and {@link PageBatch}es out, one per frame
 * ({@link FrameLayout}), payload included: the decoder for stream files, for the source's return
 * path and for tests (a target's data channels use a {@link LandingReceiver}). Checks, in this
 * order: the length against the limits, the format version and the type (as soon as the 8-byte
 * prefix is there, before buffering the frame), the CRC32C, the reserved bytes, then the body. The first bad frame raises a {@link FrameException}
 * naming it; everything after it is discarded, since a stream that lost framing cannot be trusted.
 *
 * <p>Not sharable: it keeps the stream position. A {@link PageBatch} holds a retained slice of
 * the received bytes; the handler that receives it releases it.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final FrameLimits limits;
    private final long baseOffset;
    private long consumed;
    private long frameIndex;
    private boolean failed;

    /** A decoder for a socket: offsets in errors count from the stream's first byte. */
    public FrameDecoder(FrameLimits limits) {
        this(limits, 0);
    }

    /** @param baseOffset added to offsets in errors, e.g. the file header's length */
    public FrameDecoder(FrameLimits limits, long baseOffset) {
        this.limits = limits;
        this.baseOffset = baseOffset;
        // Merging copies every read that follows a partial frame (nearly all of them) into a new buffer; a
        // composite only links them, and a frame is then copied only when it straddles two reads.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /** Frames decoded so far. */
    public long frameCount() {
        return frameIndex;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.readableBytes() >= PREFIX_LENGTH) {
                Object frame = decodeOne(ctx, in);
                if (frame == null) {
                    return;
                }
                out.add(frame);
            }
        } catch (FrameException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decode(ctx, in, out);
        if (!failed && in.isReadable()) {
            int readable = in.readableBytes();
            String expected = readable >= PREFIX_LENGTH
                    ? "a frame of " + in.getUnsignedIntLE(in.readerIndex()) + " bytes" : "an 8-byte frame prefix";
            failed = true;
            in.skipBytes(readable);
            throw fail("stream ended after " + readable + " bytes of " + expected);
        }
    }

    private Object decodeOne(ChannelHandlerContext ctx, ByteBuf in) {
        int start = in.readerIndex();
        long length = in.getUnsignedIntLE(start + LENGTH_OFFSET);
        int type = FrameLayout.checkPrefix(in, start, limits, frameIndex, baseOffset + consumed);
        if (in.readableBytes() < length) {
            return null;
        }
        int frameLength = (int) length;
        Object frame = type == TYPE_CONTROL ? control(in, start, frameLength) : pageBatch(ctx, in, start, frameLength);
        in.skipBytes(frameLength);
        consumed += frameLength;
        frameIndex++;
        return frame;
    }

    private ControlMessage control(ByteBuf in, int start, int frameLength) {
        return ControlFrames.decode(in, start, frameLength, limits, frameIndex, baseOffset + consumed);
    }

    private PageBatch pageBatch(ChannelHandlerContext ctx, ByteBuf in, int start, int frameLength) {
        ByteBuf frame = contiguousFrame(ctx, in, start, frameLength);
        try {
            return PageBatchParser.parse(frame, true, frameLength, frameIndex, baseOffset + consumed, limits, ctx.alloc());
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    /**
     * The frame's bytes as one contiguous buffer: a retained slice of the read buffer that holds all of it (not
     * of the composite around it, whose every access would first look up the component), or a copy when the
     * frame straddles two reads.
     */
    private static ByteBuf contiguousFrame(ChannelHandlerContext ctx, ByteBuf in, int start, int frameLength) {
        if (!(in instanceof CompositeByteBuf composite)) {
            return in.retainedSlice(start, frameLength);
        }
        int component = composite.toComponentIndex(start);
        int componentStart = composite.toByteIndex(component);
        ByteBuf part = composite.internalComponent(component);
        if (start + frameLength <= componentStart + part.readableBytes()) {
            return part.retainedSlice(part.readerIndex() + start - componentStart, frameLength);
        }
        // Exactly the frame's size: a recycling allocator would otherwise hand out one of its large read buffers.
        ByteBuf copy = ctx.alloc().directBuffer(frameLength, frameLength);
        return copy.writeBytes(in, start, frameLength);
    }

    private FrameException fail(String problem) {
        return new FrameException(frameIndex, baseOffset + consumed, problem);
    }
}
