package io.mtemigrate.target;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.migration.RecyclingAllocator;
import io.mtemigrate.migration.SocketBuffers;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.vmsim.HostCapacity;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.HostMemoryFault;
import io.mtemigrate.vmsim.InsufficientHostMemory;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
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
import io.netty.handler.timeout.IdleStateHandler;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
    private final AtomicReference<HostMemory> preallocated = new AtomicReference<>();
    private final long preallocMillis;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Reserved before a connection is admitted, so connections accepted on different event loops cannot overshoot. */
    private final AtomicInteger openConnections = new AtomicInteger();

    private TargetServer(TargetConfig config, TargetListener listener) throws InterruptedException {
        String refusal = config.refusalToListen();
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        this.config = config;
        this.listener = listener;
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.workerGroup = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        ControlMessageEncoder controlEncoder = new ControlMessageEncoder(Protocol.LIMITS);
        long prefaultMillis = 0;
        try {
            if (config.preallocBytes() > 0) {
                prefaultMillis = preallocate(config);
            }
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
                            TargetChannelHandler handler = new TargetChannelHandler(TargetServer.this);
                            LandingReceiver receiver = new LandingReceiver(Protocol.LIMITS, handler);
                            if (config.tls() == null) {
                                // Plain TCP: payloads are read from the socket straight into guest memory. Under
                                // TLS the bytes must be decrypted first, and the receiver copies them in.
                                ch.config().setRecvByteBufAllocator(
                                        new LandingReadAllocator(SocketBuffers.readSizes(), receiver));
                            }
                            ch.pipeline()
                                    .addLast(new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                                    .addLast(receiver)
                                    .addLast(controlEncoder)
                                    .addLast(handler);
                        }
                    })
                    .bind(config.host(), config.port()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            releasePrealloc();
            shutdownGroups();
            throw e;
        }
        this.preallocMillis = prefaultMillis;
    }

    /**
     * Commits the preallocated memory, data and tags, after checking the host can hold it: committing more than
     * that is the OOM killer's business (or SIGBUS on a full tmpfs), not an error this process gets to see.
     */
    private long preallocate(TargetConfig config) {
        long bytes = config.preallocBytes();
        HostCapacity.of(config.memoryDirectory()).require(HostCapacity.backingBytes(bytes, true),
                "preallocating " + HostCapacity.size(bytes) + " of guest memory with its MTE tags");
        HostMemory memory = HostMemory.inDirectory(config.memoryDirectory(), bytes, config.preallocPageSize());
        try {
            long millis = memory.prefault();
            preallocated.set(memory);
            return millis;
        } catch (InternalError e) {
            memory.close();
            if (HostMemoryFault.is(e)) {
                throw new InsufficientHostMemory(HostMemoryFault.explain(config.memoryDirectory()));
            }
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

    /** How long committing the preallocated memory took when the server started; 0 without preallocation. */
    public long preallocMillis() {
        return preallocMillis;
    }

    /**
     * Memory for a memslot: the preallocated memory the first time it fits (same page size, large enough), fresh
     * memory otherwise, if the host can commit all of it. Preallocated memory serves one VM; a failed migration
     * gives it back to the host.
     */
    SimulatedMachine.MemorySource memorySource() {
        return (slot, pageSize) -> {
            HostMemory memory = preallocated.get();
            if (memory != null && memory.pageSize() == pageSize && memory.size() >= slot.size()
                    && preallocated.compareAndSet(memory, null)) {
                return memory;
            }
            // Tags counted whether or not the VM uses MTE: the memory can hold them, and the check is an upper bound.
            HostCapacity.of(config.memoryDirectory()).require(HostCapacity.backingBytes(slot.size(), true),
                    "a VM with " + HostCapacity.size(slot.size()) + " of RAM and its MTE tags");
            return HostMemory.inDirectory(config.memoryDirectory(), slot.size(), pageSize);
        };
    }

    private void releasePrealloc() {
        HostMemory memory = preallocated.getAndSet(null);
        if (memory != null) {
            memory.close();
        }
    }

    TargetConfig config() {
        return config;
    }

    TargetListener listener() {
        return listener;
    }

    synchronized TargetSession newSession(ByteString id, int channels, int protocolVersion) {
        if (sessions.size() >= config.maxMigrations()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_BUSY, "this target already receives "
                    + sessions.size() + " migration(s), its limit");
        }
        TargetSession session = new TargetSession(id, channels, protocolVersion, config, listener, memorySource(),
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
        releasePrealloc();
        shutdownGroups();
    }

    private void shutdownGroups() {
        bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        reads.close();
    }
}
