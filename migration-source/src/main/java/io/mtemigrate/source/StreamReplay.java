package io.mtemigrate.source;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.file.StreamFileInfo;
import io.mtemigrate.tagstream.file.StreamFileLayout;
import io.mtemigrate.tagstream.file.StreamFileReader;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends a recorded stream file to a target, byte for byte as the recording source sent it, after checking the
 * whole file (header, every frame's CRC, trailer) so that a damaged recording never reaches a target.
 */
public final class StreamReplay {
    /** What the target said about the replayed migration. */
    public record Result(StreamFileInfo file, Ack ack) {
    }

    private static final int CHUNK_BYTES = 256 << 10;

    private StreamReplay() {
    }

    /** A recording that could not be sent ends the wait for answers at once, with the reason. */
    private static void failedWrite(Future<?> write, LinkedBlockingQueue<Object> answers) {
        if (!write.isSuccess()) {
            answers.add("sending the recording failed (" + write.cause().getMessage() + ")");
        }
    }

    /** Checks the file and says what it holds; the exception names the byte offset of the first problem. */
    public static StreamFileInfo verify(Path file) throws IOException {
        return new StreamFileReader(Protocol.LIMITS, PooledByteBufAllocator.DEFAULT).verify(file);
    }

    public static Result replay(Path file, InetSocketAddress target, Duration timeout) throws IOException, MigrationFailure {
        return replay(file, target, null, timeout);
    }

    /**
     * Sends the recording to {@code target}, over mutual TLS when {@code tls} is given (then the frames are read
     * in chunks through the TLS handler instead of being handed to the kernel as one file region).
     */
    public static Result replay(Path file, InetSocketAddress target, MutualTls tls, Duration timeout)
            throws IOException, MigrationFailure {
        StreamFileInfo info = verify(file);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        AtomicReference<TlsHandshake> handshake = new AtomicReference<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            handshake.set(TlsHandshake.begin(ch, tls, target));
                            if (tls != null) {
                                ch.pipeline().addLast(new ChunkedWriteHandler());
                            }
                            ch.pipeline().addLast(new FrameDecoder(Protocol.LIMITS)).addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    if (msg instanceof ControlMessage control) {
                                        answers.add(control);
                                    }
                                    ReferenceCountUtil.release(msg);
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    answers.add("the target closed the connection");
                                }
                            });
                        }
                    }).connect(target).awaitUninterruptibly();
            if (!connect.isSuccess()) {
                throw MigrationFailure.failed("cannot connect to the target at " + target.getHostString() + ":"
                        + target.getPort() + ": " + connect.cause().getMessage(), connect.cause());
            }
            Channel socket = connect.channel();
            try {
                if (tls != null) {
                    handshake.get().await(target);
                    socket.writeAndFlush(new ChunkedNioFile(channel, StreamFileLayout.HEADER_LENGTH, info.frameBytes(),
                            CHUNK_BYTES)).addListener(f -> failedWrite(f, answers));
                } else {
                    socket.writeAndFlush(new DefaultFileRegion(channel, StreamFileLayout.HEADER_LENGTH, info.frameBytes()))
                            .addListener(f -> failedWrite(f, answers));
                }
                Ack ack = null;
                long deadline = System.nanoTime() + timeout.toNanos();
                while (true) {
                    Object answer = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (answer == null) {
                        throw MigrationFailure.failed("the target did not finish the replay within " + timeout.toSeconds() + " s");
                    }
                    if (answer instanceof String closed) {
                        throw MigrationFailure.failed(closed + " before it released the guest");
                    }
                    ControlMessage message = (ControlMessage) answer;
                    if (message.hasError()) {
                        throw MigrationFailure.failed("the target refused the replay: " + TargetLink.describe(message));
                    }
                    if (message.hasAck()) {
                        ack = message.getAck();
                    }
                    if (message.hasReleased()) {
                        if (ack == null) {
                            throw MigrationFailure.failed("the target released the guest without acknowledging it");
                        }
                        return new Result(info, ack);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw MigrationFailure.cancelled("interrupted", e);
            } finally {
                socket.close().awaitUninterruptibly();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
