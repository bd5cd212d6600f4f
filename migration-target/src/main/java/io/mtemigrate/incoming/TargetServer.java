package io.mtemigrate.incoming;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.migration.RecyclingAllocator;
import io.mtemigrate.migration.SocketBuffers;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.frame.ControlMessageEncoder;
import io.mtemigrate.tagstream.frame.LandingReadAllocator;
import io.mtemigrate.tagstream.frame.LandingReceiver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A host that accepts migrations: binds, keeps listening after failed ones, and hands arrived guests to its listener. */
public final class TargetServer implements AutoCloseable {
    private static final int CONTROL_ENCODER_LIMIT = Protocol.LIMITS.maxControlBytes();

    private final TargetConfig config;
    private final TargetListener listener;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    /** Read buffers of every connection, reused as soon as the frames in them are applied. */
    private final RecyclingAllocator reads = SocketBuffers.reads();
    private final Map<ByteString, TargetSession> sessions = new ConcurrentHashMap<>();
    private final Channel serverChannel;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Reserved before a connection is admitted, so connections accepted on different event loops cannot overshoot. */
    private final AtomicInteger openConnections = new AtomicInteger();

    private TargetServer(TargetConfig config, TargetListener listener) throws InterruptedException {
        String refusal = config.refusalToListen();
        if (refusal != null) {
            if (config.vms() != null) {
                config.vms().close();
            }
            throw new IllegalArgumentException(refusal);
        }
        this.config = config;
        this.listener = listener;
        // Named, so that a profile can tell the target's socket threads from the source's in one process.
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("tgt-accept"),
                NioIoHandler.newFactory());
        this.workerGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("tgt-io"),
                NioIoHandler.newFactory());
        ControlMessageEncoder controlEncoder = new ControlMessageEncoder(Protocol.LIMITS);
        try {
            serverChannel = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_RCVBUF, SocketBuffers.SOCKET_BYTES)
                    // Under TLS: large reads of ciphertext for the TLS handler to decrypt.
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, SocketBuffers.readSizes())
                    .childOption(ChannelOption.ALLOCATOR, reads)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // A peer that opens connections and never speaks must not exhaust the host.
                            if (openConnections.incrementAndGet() > config.maxConnections()) {
                                openConnections.decrementAndGet();
                                listener.onRefusedConnection(String.valueOf(ch.remoteAddress()), "more than "
                                        + config.maxConnections() + " connections at once");
                                ch.close();
                                return;
                            }
                            ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                            connections.add(ch);
                            if (config.tls() != null) {
                                ch.pipeline().addLast(new TlsGate(config.tls(), listener));
                            }
                            Watchdog watchdog = new Watchdog(config.nanoClock(), config.handshakeTimeout(),
                                    config.idleTimeout());
                            TargetChannelHandler handler = new TargetChannelHandler(TargetServer.this, watchdog);
                            LandingReceiver receiver = new LandingReceiver(Protocol.LIMITS, handler);
                            if (config.tls() == null) {
                                // Plain TCP: payloads are read from the socket straight into guest memory. Under
                                // TLS the bytes must be decrypted first, and the receiver copies them in.
                                ch.config().setRecvByteBufAllocator(
                                        new LandingReadAllocator(SocketBuffers.readSizes(), receiver));
                            }
                            ch.pipeline()
                                    .addLast(watchdog)
                                    .addLast(receiver)
                                    .addLast(controlEncoder)
                                    .addLast(handler);
                        }
                    })
                    .bind(config.host(), config.port()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            config.vms().close();
            shutdownGroups();
            throw e;
        }
    }

    /** Binds and starts accepting; fails (with the port and address named) when the address is in use. */
    public static TargetServer start(TargetConfig config, TargetListener listener) throws InterruptedException {
        return new TargetServer(config, listener);
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    TargetConfig config() {
        return config;
    }

    TargetListener listener() {
        return listener;
    }

    synchronized TargetSession newSession(ByteString id, int channels, int protocolVersion, boolean postcopy) {
        if (sessions.size() >= config.maxMigrations()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_BUSY, "this target already receives "
                    + sessions.size() + " migration(s), its limit");
        }
        TargetSession session = new TargetSession(id, channels, protocolVersion, postcopy, config, listener,
                s -> sessions.remove(s.id(), s));
        if (sessions.putIfAbsent(id, session) != null) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "a migration with this session id is already running");
        }
        return session;
    }

    TargetSession session(ByteString id) {
        return sessions.get(id);
    }

    /** Migrations under way; 0 means no partial VM exists on this host. */
    public int activeMigrations() {
        return sessions.size();
    }

    /** Cuts every connection, as a network failure would; the server keeps listening. */
    public void dropConnections() {
        connections.close().awaitUninterruptibly();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        for (TargetSession session : sessions.values()) {
            session.abort("the target is shutting down", ErrorCode.ERROR_CODE_CANCELLED);
        }
        config.vms().close();
        shutdownGroups();
    }

    private void shutdownGroups() {
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        reads.close();
    }
}
