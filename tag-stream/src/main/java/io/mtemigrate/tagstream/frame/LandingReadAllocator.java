package io.mtemigrate.tagstream.frame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;

/**
 * The read buffers of one plain-TCP target channel: whatever its {@link LandingReceiver} says the
 * next read should fill, guest memory while a payload is due. So page data goes from the socket to
 * guest memory in the kernel's one copy, and the read never runs past the payload. The delegate's
 * handle keeps deciding how many reads an event-loop turn makes.
 */
public final class LandingReadAllocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator reads;
    private final LandingReceiver receiver;

    public LandingReadAllocator(RecvByteBufAllocator reads, LandingReceiver receiver) {
        this.reads = reads;
        this.receiver = receiver;
    }

    @Override
    public Handle newHandle() {
        return new DelegatingHandle(reads.newHandle()) {
            @Override
            public ByteBuf allocate(ByteBufAllocator alloc) {
                return receiver.nextReadBuffer(alloc);
            }
        };
    }
}
