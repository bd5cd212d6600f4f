package io.mtemigrate.e2e;

import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.tagstream.frame.ControlFrames;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A misbehaving source for tests: sends whatever frames it is given and collects what the target answers. */
final class RawTargetClient implements AutoCloseable {
    static final String CLOSED = "closed";
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    private final Channel channel;

    RawTargetClient(InetSocketAddress target) throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(Protocol.LIMITS)).addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                answers.add(msg instanceof ControlMessage ? msg : "page batch");
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                answers.add(CLOSED);
                            }
                        });
                    }
                }).connect(target).sync().channel();
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    void send(ControlMessage message) {
        send(ControlFrames.encode(alloc(), message, Protocol.LIMITS));
    }

    void send(ByteBuf frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    /** The next answer: a ControlMessage, or {@link #CLOSED}. */
    Object next() throws InterruptedException {
        Object answer = answers.poll(30, TimeUnit.SECONDS);
        if (answer == null) {
            throw new AssertionError("the target said nothing within 30 s");
        }
        return answer;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
