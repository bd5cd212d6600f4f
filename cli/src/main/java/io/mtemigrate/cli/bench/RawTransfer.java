package io.mtemigrate.cli.bench;

import io.mtemigrate.migration.RecyclingAllocator;
import io.mtemigrate.migration.SocketBuffers;
import io.mtemigrate.source.MigrationConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical limit a migration is measured against: the same number of bytes pushed over the same number of
 * loopback channels in 256 KiB writes, each copied once from a source buffer into a recycled buffer (as the
 * migration copies each page once), with the same in-flight bound, socket buffers, read sizes and allocators
 * ({@link SocketBuffers}), and nothing else.
 */
public final class RawTransfer {
    private static final int FRAME = 256 << 10;
    /** The migration's own in-flight budget, so that both are held to the same one. */
    static final long IN_FLIGHT = MigrationConfig.defaults().maxInFlightBytes();

    private RawTransfer() {
    }

    /** A transfer's speed and the CPU time the process spent on it, in core-seconds per GB. */
    public record Result(double bytesPerSecond, double cpuSecondsPerGB) {
    }

    public static Result netty(long bytes, int channels, long maxInFlight) throws InterruptedException {
        EventLoopGroup server = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        EventLoopGroup client = new MultiThreadIoEventLoopGroup(Math.min(channels, 2), NioIoHandler.newFactory());
        AtomicLong received = new AtomicLong();
        Object done = new Object();
        RecyclingAllocator reads = SocketBuffers.reads();
        RecyclingAllocator frames = SocketBuffers.frames(maxInFlight);
        try {
            Channel listener = new ServerBootstrap().group(server).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_RCVBUF, SocketBuffers.SOCKET_BYTES)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, SocketBuffers.readSizes())
                    .childOption(ChannelOption.ALLOCATOR, reads)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    int n = ((ByteBuf) msg).readableBytes();
                                    ReferenceCountUtil.release(msg);
                                    if (received.addAndGet(n) >= bytes) {
                                        synchronized (done) {
                                            done.notifyAll();
                                        }
                                    }
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            Channel[] out = new Channel[channels];
            for (int i = 0; i < channels; i++) {
                out[i] = new Bootstrap().group(client).channel(NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.SO_SNDBUF, SocketBuffers.SOCKET_BYTES)
                        .option(ChannelOption.ALLOCATOR, frames)
                        .handler(new ChannelInboundHandlerAdapter()).connect(listener.localAddress()).sync().channel();
            }
            ByteBuffer source = ByteBuffer.allocateDirect(FRAME);
            Semaphore budget = new Semaphore((int) maxInFlight);
            ByteBufAllocator alloc = out[0].alloc();
            long start = System.nanoTime();
            long cpuBefore = ProcessCpu.nanos();
            long sent = 0;
            for (int i = 0; sent < bytes; i++) {
                int n = (int) Math.min(FRAME, bytes - sent);
                budget.acquire(n);
                ByteBuf frame = alloc.directBuffer(n);
                frame.writeBytes(source.duplicate().limit(n));
                out[i % channels].writeAndFlush(frame).addListener(f -> budget.release(n));
                sent += n;
            }
            synchronized (done) {
                while (received.get() < bytes) {
                    done.wait(100);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long cpuNanos = ProcessCpu.nanos() - cpuBefore;
            for (Channel c : out) {
                c.close().sync();
            }
            listener.close().sync();
            return new Result(bytes / seconds, ProcessCpu.secondsPerGB(cpuNanos, bytes));
        } finally {
            client.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            server.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            reads.close();
            frames.close();
        }
    }

    /** @return bytes per second of a single-threaded copy between two warm direct buffers */
    public static double memoryCopy(long bytes) {
        ByteBuffer from = ByteBuffer.allocateDirect(64 << 20);
        ByteBuffer to = ByteBuffer.allocateDirect(64 << 20);
        to.put(0, from, 0, from.capacity());
        long start = System.nanoTime();
        for (long done = 0; done < bytes; done += from.capacity()) {
            to.put(0, from, 0, (int) Math.min(from.capacity(), bytes - done));
        }
        return bytes / ((System.nanoTime() - start) / 1e9);
    }

    public static void main(String[] args) throws Exception {
        long bytes = Long.parseLong(args[0]);
        int channels = Integer.parseInt(args[1]);
        for (int i = 0; i < 3; i++) {
            Result raw = netty(bytes, channels, IN_FLIGHT);
            System.out.printf("netty %.0f MB/s (%.2f core-s/GB), memcpy %.0f MB/s%n", raw.bytesPerSecond() / 1e6,
                    raw.cpuSecondsPerGB(), memoryCopy(bytes) / 1e6);
        }
    }
}
