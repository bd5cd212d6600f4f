package io.mtemigrate.migration;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;

/**
 * The socket and buffer sizes of a migration's data channels, in one place so that the bench's raw transfer (the
 * limit a migration is measured against) uses exactly the same ones.
 */
public final class SocketBuffers {
    /** SO_SNDBUF on the source and SO_RCVBUF on the target: a few batch frames per channel. */
    public static final int SOCKET_BYTES = 4 << 20;
    /** The largest socket read on the target: several batch frames, most of which are then sliced out whole. */
    public static final int READ_BYTES = 2 << 20;
    private static final int MIN_READ_BYTES = 64 << 10;
    /** Read buffers kept for reuse across all of a target's connections. */
    private static final long IDLE_READ_BYTES = 16L * READ_BYTES;

    private SocketBuffers() {
    }

    /** Frames on the source: up to a worst-case batch frame, as many idle as may be in flight. */
    public static RecyclingAllocator frames(long maxInFlightBytes) {
        return new RecyclingAllocator(Protocol.MAX_BATCH_FRAME_BYTES, Protocol.MAX_BATCH_FRAME_BYTES / 2, maxInFlightBytes);
    }

    /** The target's read buffers, reused as soon as the frames in them are applied. */
    public static RecyclingAllocator reads() {
        return new RecyclingAllocator(READ_BYTES, MIN_READ_BYTES, IDLE_READ_BYTES);
    }

    /** Reads that grow to {@link #READ_BYTES} while the socket has that much to give. */
    public static RecvByteBufAllocator readSizes() {
        return new AdaptiveRecvByteBufAllocator(MIN_READ_BYTES, READ_BYTES, READ_BYTES);
    }
}
