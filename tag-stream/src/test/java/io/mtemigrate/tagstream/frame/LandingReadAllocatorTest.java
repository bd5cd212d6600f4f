package io.mtemigrate.tagstream.frame;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.proto.RoundStart;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real loopback socket reading through {@link LandingReadAllocator}: the payload of every page
 * batch must end up in the landing site's memory, and nearly all of it written there by the
 * socket read itself rather than copied from a read buffer.
 */
@ExtendWith(NoLeaks.class)
class LandingReadAllocatorTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final int PAGE = PageSize.SIZE_4K.bytes();
    private static final int PAGES_PER_BATCH = 64; // 256 KiB of payload each
    private static final int BATCHES = 24; // 6 MiB
    private static final int PAGES = PAGES_PER_BATCH * BATCHES;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Arena arena = Arena.ofShared();
    private Channel server;
    private Channel client;

    @AfterEach
    void stopEverything() {
        if (client != null) {
            client.close().syncUninterruptibly();
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        arena.close();
    }

    @Test
    void shouldHaveTheSocketReadPayloadsStraightIntoTheLandingSitesMemory() throws Exception {
        Random random = new Random(0x1A2D);
        ByteBuffer ram = ByteBuffer.allocateDirect(PAGES * PAGE);
        ByteBuffer tags = ByteBuffer.allocateDirect(PAGES * PageSize.SIZE_4K.granules());
        byte[] chunk = new byte[PAGE];
        for (int p = 0; p < PAGES; p++) {
            random.nextBytes(chunk);
            ram.put(p * PAGE, chunk);
        }
        for (int g = 0; g < tags.capacity(); g++) {
            tags.put(g, (byte) random.nextInt(16));
        }
        MemorySegment guest = arena.allocate((long) PAGES * PAGE);
        Queue<Object> received = new ConcurrentLinkedQueue<>();
        AtomicReference<LandingReceiver> serverReceiver = new AtomicReference<>();
        AtomicReference<Throwable> serverError = new AtomicReference<>();

        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        LandingReceiver receiver = new LandingReceiver(FrameLimits.DEFAULT,
                                batch -> guest.asSlice(batch.firstPage() * PAGE, (long) batch.pageCount() * PAGE));
                        ch.config().setRecvByteBufAllocator(
                                new LandingReadAllocator(new AdaptiveRecvByteBufAllocator(), receiver));
                        ch.pipeline().addLast(receiver, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                received.add(msg instanceof PageBatch batch ? batch.firstPage() : msg);
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                serverError.compareAndSet(null, cause);
                                ctx.close();
                            }
                        });
                        serverReceiver.set(receiver);
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).connect("127.0.0.1", port).sync().channel();

        ControlMessage start = ControlMessage.newBuilder().setRoundStart(RoundStart.newBuilder().setRound(1)).build();
        ControlMessage end = ControlMessage.newBuilder().setRoundEnd(RoundEnd.newBuilder().setRound(1)
                .setPagesInRound(PAGES)).build();
        client.writeAndFlush(ControlFrames.encode(ALLOC, start, FrameLimits.DEFAULT));
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            for (int b = 0; b < BATCHES; b++) {
                int first = b * PAGES_PER_BATCH;
                client.write(encoder.encode(ALLOC, 0, 1, first, PAGES_PER_BATCH, PAGE, ram, first * PAGE, tags,
                        first * PageSize.SIZE_4K.granules()));
            }
        }
        client.writeAndFlush(ControlFrames.encode(ALLOC, end, FrameLimits.DEFAULT)).sync();

        await().atMost(Duration.ofSeconds(30)).until(() -> received.contains(end) || serverError.get() != null);

        assertEquals(null, serverError.get(), "the receiver refused the stream");
        List<Object> expected = new java.util.ArrayList<>();
        expected.add(start);
        for (int b = 0; b < BATCHES; b++) {
            expected.add((long) b * PAGES_PER_BATCH);
        }
        expected.add(end);
        assertEquals(expected, List.copyOf(received));
        assertEquals(-1, guest.mismatch(MemorySegment.ofBuffer(ram)), "the landed pages are the sent pages");
        LandingReceiver receiver = serverReceiver.get();
        long payload = (long) PAGES * PAGE;
        assertEquals(payload, receiver.payloadBytesLanded() + receiver.payloadBytesCopied());
        System.out.printf("LandingReadAllocatorTest: %d of %d payload bytes read into the landing site, %d copied%n",
                receiver.payloadBytesLanded(), payload, receiver.payloadBytesCopied());
        assertTrue(receiver.payloadBytesLanded() > payload * 9 / 10, receiver.payloadBytesLanded() + " of " + payload
                + " payload bytes were read into the landing site itself, " + receiver.payloadBytesCopied()
                + " copied");
    }
}
