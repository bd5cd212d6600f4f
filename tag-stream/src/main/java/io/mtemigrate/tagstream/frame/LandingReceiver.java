package io.mtemigrate.tagstream.frame;

import static io.mtemigrate.tagstream.frame.FrameLayout.*;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.lang.foreign.MemorySegment;

/**
 * A target's frame receiver: it decodes what a {@link FrameDecoder} decodes, with the same checks in
 * the same order, but a page batch's payload lands in guest memory. Once a batch's checked part
 * (header, flags, inline data, tags, CRC) has passed, its {@link LandingSite} says where the pages
 * go, and the raw pages are written there: straight from the socket when the channel reads through
 * a {@link LandingReadAllocator} (plain TCP), or copied from the buffers a TLS handler decrypted
 * into. Fires {@link ControlMessage}s and, once its last raw page is in place, each
 * {@link PageBatch} (without payload; {@link PageBatch#hasPayload()} is false). A frame that fails
 * a check is never applied, and nothing after it is read.
 *
 * <p>Not sharable: it keeps the stream position, and the allocator asks it where the next read goes.
 */
public final class LandingReceiver extends ChannelInboundHandlerAdapter {

    /** Where a checked batch's pages go. */
    @FunctionalInterface
    public interface LandingSite {
        /**
         * Checks the batch (slot, pages, page size) against the VM and returns the guest memory of its
         * pages: page {@code i} at offset {@code i * pageSize}. Throws to refuse the batch.
         */
        MemorySegment destinationOf(PageBatch batch);
    }

    /** Small frames read this much at a time; a copy of them costs less than a system call each. */
    static final int BULK_READ_BYTES = 64 << 10;
    /** A payload from this size on is worth landing: the frame after it is read header first. */
    static final int LARGE_PAYLOAD_BYTES = 32 << 10;

    private enum Stage { PREFIX, CONTROL, BATCH_HEADER, CHECKED, PAYLOAD }

    private final FrameLimits limits;
    private final LandingSite site;
    private Stage stage = Stage.PREFIX;
    /** What {@link #pending} must hold to finish the stage. */
    private int stageBytes = PREFIX_LENGTH;
    /** The bytes of the current frame before its payload. */
    private ByteBuf pending;
    private long frameLength;
    private long frameIndex;
    private long consumed;
    private boolean failed;

    private PageBatch batch;
    private MemorySegment destination;
    private long pageSize;
    private long payloadBytes;
    private final PayloadRuns runs = new PayloadRuns();
    /** The buffer handed to the channel's next read: guest memory. */
    private ByteBuf landing;
    private boolean afterLargePayload;
    /** The checked part of the last batch: what the next read asks for after a large payload. */
    private int lastCheckedLength = PageBatchLayout.HEADER_LENGTH;
    private long payloadBytesLanded;
    private long payloadBytesCopied;

    public LandingReceiver(FrameLimits limits, LandingSite site) {
        this.limits = limits;
        this.site = site;
    }

    /** Frames decoded so far. */
    public long frameCount() {
        return frameIndex;
    }

    /** Payload bytes the socket wrote into guest memory itself. */
    public long payloadBytesLanded() {
        return payloadBytesLanded;
    }

    /** Payload bytes that arrived in ordinary buffers (under TLS, or after a header in a bulk read) and were copied. */
    public long payloadBytesCopied() {
        return payloadBytesCopied;
    }

    /**
     * The buffer the channel's next read should fill: guest memory while a payload is due (the read
     * cannot run past it), then exactly the next frame's header after a large payload, otherwise a
     * bulk buffer. Called by the channel's event loop between reads.
     */
    ByteBuf nextReadBuffer(ByteBufAllocator alloc) {
        if (stage == Stage.PAYLOAD && !failed) {
            landing = Unpooled.wrappedBuffer(destination.asSlice(runs.landingOffset(pageSize), runs.remaining(pageSize))
                    .asByteBuffer()).clear();
            return landing;
        }
        int have = pending == null ? 0 : pending.readableBytes();
        // After a refusal the stage's bytes may all be in: a buffer with no room would make the channel read 0
        // bytes and try again at once, for ever.
        if (afterLargePayload && !failed) {
            // The checked part of the batch that probably follows, shaped like the last one, in one read: at
            // worst a few KiB of payload arrive in it and are copied.
            int want = Math.max(stageBytes, stage == Stage.PREFIX ? lastCheckedLength : 0) - have;
            return alloc.directBuffer(want, want);
        }
        return alloc.directBuffer(BULK_READ_BYTES, BULK_READ_BYTES);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (failed) {
                return;
            }
            if (in == landing) {
                landing = null;
                payloadBytesLanded += in.readableBytes();
                landed(ctx, in.readableBytes());
                return;
            }
            consume(ctx, in);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            in.release();
        }
    }

    private void consume(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable() && !failed) {
            if (stage == Stage.PAYLOAD) {
                int n = (int) Math.min(in.readableBytes(), runs.remaining(pageSize));
                in.readBytes(destination.asSlice(runs.landingOffset(pageSize), n).asByteBuffer());
                payloadBytesCopied += n;
                landed(ctx, n);
                continue;
            }
            if (pending == null) {
                pending = ctx.alloc().directBuffer(Math.max(stageBytes, 64), limits.maxFrameBytes());
            }
            int take = Math.min(in.readableBytes(), stageBytes - pending.readableBytes());
            pending.writeBytes(in, take);
            if (pending.readableBytes() == stageBytes) {
                advance(ctx);
            }
        }
    }

    private void advance(ChannelHandlerContext ctx) {
        switch (stage) {
            case PREFIX -> {
                int type = FrameLayout.checkPrefix(pending, 0, limits, frameIndex, consumed);
                frameLength = pending.getUnsignedIntLE(LENGTH_OFFSET);
                if (type == TYPE_CONTROL) {
                    enter(Stage.CONTROL, (int) frameLength);
                } else {
                    // Never past the frame: one too short for its header is refused as FrameDecoder refuses it,
                    // without waiting for bytes of the next frame, which may never come.
                    enter(Stage.BATCH_HEADER, (int) Math.min(PageBatchLayout.HEADER_LENGTH, frameLength));
                }
            }
            case CONTROL -> {
                ControlMessage message = ControlFrames.decode(pending, 0, (int) frameLength, limits, frameIndex, consumed);
                pending.clear();
                nextFrame(false);
                ctx.fireChannelRead(message);
            }
            case BATCH_HEADER -> enter(Stage.CHECKED,
                    PageBatchParser.checkedLength(pending, 0, frameLength, limits, frameIndex, consumed));
            case CHECKED -> checked(ctx);
            case PAYLOAD -> throw new IllegalStateException("a payload is not buffered");
        }
    }

    private void enter(Stage next, int bytes) {
        stage = next;
        stageBytes = bytes;
        // Room for about a read, not for all a prefix claims: the buffer grows with the bytes that do arrive.
        pending.ensureWritable(Math.min(bytes - pending.readableBytes(), BULK_READ_BYTES));
    }

    private void checked(ChannelHandlerContext ctx) {
        ByteBuf checked = pending;
        pending = null;
        payloadBytes = frameLength - checked.readableBytes();
        lastCheckedLength = checked.readableBytes();
        PageBatch parsed;
        try {
            parsed = PageBatchParser.parse(checked, false, frameLength, frameIndex, consumed, limits, ctx.alloc());
        } catch (RuntimeException e) {
            checked.release();
            throw e;
        }
        try {
            pageSize = parsed.pageSize();
            runs.of(parsed);
            if (runs.isEmpty()) {
                nextFrame(false);
                ctx.fireChannelRead(parsed);
                return;
            }
            destination = site.destinationOf(parsed);
            if (destination.byteSize() < (long) parsed.pageCount() * pageSize) {
                throw new IllegalStateException("the landing site gave " + destination.byteSize() + " bytes for "
                        + parsed.pageCount() + " pages");
            }
        } catch (RuntimeException e) {
            parsed.release();
            throw e;
        }
        batch = parsed;
        stage = Stage.PAYLOAD;
    }

    /** {@code n} more payload bytes are in place. */
    private void landed(ChannelHandlerContext ctx, int n) {
        if (runs.advance(n, pageSize)) {
            PageBatch done = batch;
            batch = null;
            destination = null;
            nextFrame(payloadBytes >= LARGE_PAYLOAD_BYTES);
            ctx.fireChannelRead(done);
        }
    }

    private void nextFrame(boolean largePayload) {
        afterLargePayload = largePayload;
        consumed += frameLength;
        frameIndex++;
        stage = Stage.PREFIX;
        stageBytes = PREFIX_LENGTH;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }

    private void releaseAll() {
        failed = true;
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (batch != null) {
            batch.release();
            batch = null;
        }
        destination = null;
    }
}
