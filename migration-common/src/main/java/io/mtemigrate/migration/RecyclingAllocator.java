package io.mtemigrate.migration;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.util.internal.CleanableDirectBuffer;
import io.netty.util.internal.PlatformDependent;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Hands out direct buffers of one large size again and again instead of freeing them: the frames a source has in
 * flight, the buffers a target reads its sockets into. Netty's pooled allocator returns a chunk to the system as
 * soon as its last buffer is freed, and a stream of large buffers empties chunk after chunk, so every byte a
 * migration moved also cost a fresh allocation zeroed by the JDK (a sixth of the target's CPU in a JFR profile).
 * Smaller and larger requests go to the pooled allocator. Thread-safe: buffers are taken on one thread and often
 * freed on another.
 */
public final class RecyclingAllocator extends AbstractByteBufAllocator implements AutoCloseable {
    private final int slotBytes;
    private final int minBytes;
    private final ArrayBlockingQueue<CleanableDirectBuffer> idle;
    private final ByteBufAllocator others = PooledByteBufAllocator.DEFAULT;
    private volatile boolean closed;

    /**
     * @param slotBytes    the size of every recycled buffer; requests from {@code minBytes} up to it get one
     * @param minBytes     smaller requests go to the pooled allocator, which caches small buffers well
     * @param maxIdleBytes how much may wait for reuse; buffers freed beyond it are released
     */
    public RecyclingAllocator(int slotBytes, int minBytes, long maxIdleBytes) {
        super(true);
        if (minBytes < 1 || minBytes > slotBytes) {
            throw new IllegalArgumentException("minBytes " + minBytes + " must be 1.." + slotBytes);
        }
        this.slotBytes = slotBytes;
        this.minBytes = minBytes;
        this.idle = new ArrayBlockingQueue<>((int) Math.max(1, Math.min(1 << 16, maxIdleBytes / slotBytes)));
    }

    /** Buffers waiting for reuse. */
    public int idleBuffers() {
        return idle.size();
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        if (initialCapacity < minBytes || initialCapacity > slotBytes || maxCapacity < slotBytes) {
            return others.directBuffer(initialCapacity, maxCapacity);
        }
        return new Recycled(this, take(), maxCapacity);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return others.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    /** Releases the idle buffers now; buffers still in use are released when they are freed. */
    @Override
    public void close() {
        closed = true;
        for (CleanableDirectBuffer memory; (memory = idle.poll()) != null; ) {
            memory.clean();
        }
    }

    private CleanableDirectBuffer take() {
        CleanableDirectBuffer memory = idle.poll();
        return memory != null ? memory : PlatformDependent.allocateDirect(slotBytes);
    }

    private void give(CleanableDirectBuffer memory) {
        if (!closed && idle.offer(memory)) {
            if (closed && idle.remove(memory)) {
                memory.clean(); // close() ran between the check and the offer
            }
            return;
        }
        memory.clean();
    }

    /** A direct buffer whose memory goes back to its allocator when the last reference is released. */
    private static final class Recycled extends UnpooledDirectByteBuf {
        private final RecyclingAllocator owner;
        /** Also after a capacity change replaced it inside the buffer (the wrapping constructor never frees it). */
        private final CleanableDirectBuffer memory;

        Recycled(RecyclingAllocator owner, CleanableDirectBuffer memory, int maxCapacity) {
            super(owner, memory.buffer().clear(), maxCapacity);
            this.owner = owner;
            this.memory = memory;
            clear();
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            owner.give(memory);
        }
    }
}
