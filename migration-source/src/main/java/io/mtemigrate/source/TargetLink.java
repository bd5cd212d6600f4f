package io.mtemigrate.source;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.migration.RecyclingAllocator;
import io.mtemigrate.migration.SocketBuffers;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.PageRequest;
import io.mtemigrate.tagstream.frame.ControlFrames;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The source's connections to a target: channel 0 for control and pages, the others for pages. Writes are
 * bounded by a byte budget that is returned as frames leave for the wire, so memory in flight stays capped
 * however fast the producer is; control messages from the target queue up for the migration thread.
 */
final class TargetLink implements MigrationTransport {
    /** Frames are flushed once this much is queued on a channel: a batch frame's worth. */
    private static final int FLUSH_BYTES = Protocol.BATCH_BYTES;
    private static final long MAX_FLUSH_DELAY_NANOS = 20_000_000;
    private final EventLoopGroup group;
    /** The post-copy channel's own thread: its pages must not wait while a data channel's loop writes megabytes. */
    private final EventLoopGroup urgentGroup;
    /** Batch frames are taken on the migration thread and come back when the event loop has written them. */
    private final RecyclingAllocator frames;
    private final Channel[] channels;
    /** Bytes written to each channel since its last flush; touched by the migration thread only. */
    private final int[] unflushed;
    private final long[] unflushedSince;
    /** Per channel, null without TLS. */
    private final TlsHandshake[] handshakes;
    private final LinkedBlockingQueue<ControlMessage> control = new LinkedBlockingQueue<>();
    /** Page requests from the target's faulting vCPUs, which the post-copy phase serves ahead of its push. */
    private final LinkedBlockingQueue<PageRequest> requests = new LinkedBlockingQueue<>();
    /** Channels that carry pages in rounds; a post-copy channel, when there is one, comes after them. */
    private final int dataChannels;
    private final Semaphore budget;
    private final int budgetTotal;
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong roundReceived = new AtomicLong(-1);
    /** Counts RoundReceived and Applied messages: the target's signs of life while the source waits. */
    private final AtomicLong targetProgress = new AtomicLong();
    /** Agreed in the handshake; set before any page is sent. */
    private int protocolVersion;
    private final LongSupplier clock;
    private final long stallTimeoutNanos;
    /** When the migration's --timeout runs out (0: never), and that timeout, for the waits that do not take a checkpoint. */
    private long deadlineNanos;
    private Duration timeout = Duration.ZERO;
    private BandwidthPacer pacer;
    private volatile MigrationFailure failure;
    private volatile boolean closing;

    private TargetLink(int dataChannels, boolean postcopy, long maxInFlightBytes, Duration stallTimeout,
                       LongSupplier clock) {
        int channelCount = dataChannels + (postcopy ? 1 : 0);
        this.dataChannels = dataChannels;
        this.stallTimeoutNanos = stallTimeout.toNanos();
        // Named, so that a profile can tell the source's socket threads from the target's in one process.
        this.group = new MultiThreadIoEventLoopGroup(Math.min(channelCount, 2), new DefaultThreadFactory("src-io"),
                NioIoHandler.newFactory());
        this.urgentGroup = postcopy ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("src-pc"),
                NioIoHandler.newFactory()) : null;
        this.frames = SocketBuffers.frames(maxInFlightBytes);
        this.channels = new Channel[channelCount];
        this.unflushed = new int[channelCount];
        this.unflushedSince = new long[channelCount];
        this.handshakes = new TlsHandshake[channelCount];
        this.budgetTotal = (int) Math.min(Integer.MAX_VALUE, maxInFlightBytes);
        this.budget = new Semaphore(budgetTotal);
        this.clock = clock;
    }

    /** Connects every channel and says Hello on each; returns once the target accepted them all. */
    static TargetLink connect(InetSocketAddress target, MutualTls tls, Hello hello, MigrationConfig config,
                              LiveLimits limits, long deadlineNanos, Checkpoint checkpoint) throws MigrationFailure {
        TargetLink link = new TargetLink(config.channels(), hello.getPostcopy(), config.maxInFlightBytes(),
                config.stallTimeout(), config.nanoClock());
        link.deadlineNanos = deadlineNanos;
        link.timeout = config.timeout();
        link.pacer = new BandwidthPacer(limits, config.nanoClock(), deadlineNanos, config.timeout());
        try {
            ByteString session = hello.getSessionId();
            for (int i = 0; i < link.channels.length; i++) {
                link.open(i, target, tls, checkpoint);
                link.sendControl(i, ControlMessage.newBuilder().setHello(hello.toBuilder().setChannelIndex(i)
                        .setSessionId(session)).build());
                ControlMessage answer = link.awaitControl(deadlineNanos, checkpoint);
                if (!answer.hasHelloAccept()) {
                    throw MigrationFailure.failed("the target answered the handshake with " + describe(answer));
                }
                link.protocolVersion = answer.getHelloAccept().getProtocolVersion();
            }
            return link;
        } catch (MigrationFailure | RuntimeException e) {
            link.close();
            throw e;
        }
    }

    static String describe(ControlMessage message) {
        return message.hasError()
                ? message.getError().getCode().name().replace("ERROR_CODE_", "") + ": " + message.getError().getMessage()
                : message.getBodyCase().name();
    }

    private void open(int index, InetSocketAddress target, MutualTls tls, Checkpoint checkpoint) throws MigrationFailure {
        ChannelFuture connect = new Bootstrap()
                .group(index == dataChannels ? urgentGroup : group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis())
                .option(ChannelOption.SO_SNDBUF, SocketBuffers.SOCKET_BYTES)
                .option(ChannelOption.ALLOCATOR, frames)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        handshakes[index] = TlsHandshake.begin(ch, tls, target);
                        ch.pipeline().addLast(new FrameDecoder(Protocol.LIMITS))
                                .addLast(new SourceChannelHandler(TargetLink.this, index));
                    }
                })
                .connect(target);
        awaitWithin(connect, checkpoint);
        if (!connect.isSuccess()) {
            Throwable cause = connect.cause();
            throw MigrationFailure.failed("cannot connect to the target at " + target.getHostString() + ":"
                    + target.getPort() + ": " + (cause == null ? "unknown error" : cause.getMessage()), cause);
        }
        channels[index] = connect.channel();
        if (handshakes[index] != null) {
            handshakes[index].await(target, this::awaitWithin, checkpoint);
        }
    }

    /** The kernel's connect gives up after 10 s, or when the migration's timeout runs out if that is sooner. */
    private int connectTimeoutMillis() {
        long left = deadlineNanos == 0 ? Long.MAX_VALUE : (deadlineNanos - clock.getAsLong()) / 1_000_000;
        return (int) Math.max(1, Math.min(10_000, left));
    }

    /** Waits for a connect or TLS handshake while the checkpoint (cancellation, the timeout) allows. */
    private void awaitWithin(io.netty.util.concurrent.Future<?> future, Checkpoint checkpoint) throws MigrationFailure {
        try {
            while (!future.await(50, TimeUnit.MILLISECONDS)) {
                checkpoint.check();
                checkDeadline();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MigrationFailure.cancelled("interrupted", e);
        }
    }

    /** The timeout for waits that get no checkpoint (control messages): the same words as the migration's own. */
    private void checkDeadline() throws MigrationFailure {
        if (deadlineNanos != 0 && clock.getAsLong() - deadlineNanos > 0) {
            throw MigrationFailure.timedOut("the migration did not finish within " + timeout.toSeconds() + " s");
        }
    }

    @Override
    public int channelCount() {
        return dataChannels;
    }

    /** From the switch to post-copy on, the migration's --timeout no longer applies: giving up would lose the guest. */
    @Override
    public void endDeadline() {
        deadlineNanos = 0;
        pacer = new BandwidthPacer(pacer.limits(), clock, 0, Duration.ZERO);
    }

    /**
     * Writes a frame on the post-copy channel at once, outside the in-flight budget and the bandwidth cap: a vCPU
     * waits for it, and it must not queue behind the push.
     */
    @Override
    public void sendUrgent(ByteBuf frame) {
        int size = frame.readableBytes();
        channels[dataChannels].writeAndFlush(frame).addListener(f -> written(dataChannels, size, f));
    }

    @Override
    public PageRequest pollRequest(long timeoutNanos) throws InterruptedException {
        return requests.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public ByteBufAllocator alloc() {
        return channels[0].alloc();
    }

    /** Writes a frame (taking ownership), waiting for room in the in-flight budget and for the bandwidth cap. */
    @Override
    public void send(int index, ByteBuf frame, Checkpoint checkpoint) throws MigrationFailure {
        int size = frame.readableBytes();
        try {
            StallWatch stall = stallWatch();
            if (!budget.tryAcquire(size)) {
                // Room comes back only as written frames leave: let the unflushed ones go first.
                flushAll();
                while (!budget.tryAcquire(size, 50, TimeUnit.MILLISECONDS)) {
                    checkpoint.check();
                    checkDeadline();
                    throwIfFailed();
                    stall.check();
                }
            }
        } catch (InterruptedException e) {
            frame.release();
            Thread.currentThread().interrupt();
            throw MigrationFailure.cancelled("interrupted", e);
        } catch (MigrationFailure e) {
            frame.release();
            throw e;
        }
        try {
            pacer.pace(size, checkpoint, this::checkDeadline, () -> failure != null);
        } catch (MigrationFailure e) {
            budget.release(size);
            frame.release();
            throw e;
        }
        // Writes without a flush queue on the channel without waking its event loop; one flush then hands many
        // frames to the kernel in one gathering write. Small frames (scattered dirty pages) would otherwise cost
        // a wake-up and a system call each.
        Channel channel = channels[index];
        long now = clock.getAsLong();
        if (unflushed[index] == 0) {
            unflushedSince[index] = now;
        }
        unflushed[index] += size;
        // A batch frame alone reaches the flush size: one task for the event loop instead of a write and a flush.
        boolean flushNow = unflushed[index] >= FLUSH_BYTES;
        if (flushNow) {
            unflushed[index] = 0;
        }
        (flushNow ? channel.writeAndFlush(frame) : channel.write(frame)).addListener(f -> {
            budget.release(size);
            written(index, size, f);
        });
        // A channel that gets only a few small frames must not sit on them while the others carry the round.
        for (int i = 0; i < channels.length; i++) {
            if (unflushed[i] > 0 && now - unflushedSince[i] > MAX_FLUSH_DELAY_NANOS) {
                flush(i);
            }
        }
    }

    /** A frame's write ended: count it, or fail the link. */
    private void written(int index, int size, io.netty.util.concurrent.Future<?> write) {
        if (write.isSuccess()) {
            bytesWritten.addAndGet(size);
            return;
        }
        // A write that finds the peer gone races channelInactive for the same hang-up: report it the same way.
        String why = HangUp.is(write.cause()) ? "the target closed channel " + index
                : "writing to channel " + index + " failed: " + write.cause().getMessage();
        failed(MigrationFailure.failed(why, write.cause()));
    }

    private void flush(int index) {
        unflushed[index] = 0;
        channels[index].flush();
    }

    /** Hands every written frame to the kernel; before any wait for the target, so it has everything to answer. */
    private void flushAll() {
        for (int i = 0; i < channels.length; i++) {
            if (unflushed[i] > 0) {
                flush(i);
            }
        }
    }

    private StallWatch stallWatch() {
        return new StallWatch(clock, bytesWritten::get, targetProgress::get, this::bytesInFlight, stallTimeoutNanos);
    }

    /** Writes a control message and waits (10 s at most) for the write; false when it certainly never left this host. */
    @Override
    public boolean sendControlAndWait(int index, ControlMessage message) {
        Channel channel = channels[index];
        if (!channel.isActive()) {
            return false;
        }
        ChannelFuture write = channel.writeAndFlush(ControlFrames.encode(alloc(), message, Protocol.LIMITS));
        // A target that stops reading must not hang the migration; unknown counts as "may have left".
        return !write.awaitUninterruptibly(10, TimeUnit.SECONDS) || write.isSuccess();
    }

    @Override
    public void sendControl(int index, ControlMessage message) throws MigrationFailure {
        send(index, ControlFrames.encode(alloc(), message, Protocol.LIMITS), Checkpoint.NONE);
        flush(index);
    }

    @Override
    public long bytesInFlight() {
        return budgetTotal - budget.availablePermits();
    }

    @Override
    public long bytesWritten() {
        return bytesWritten.get();
    }

    @Override
    public ControlMessage awaitControl(long deadlineNanos, Checkpoint checkpoint) throws MigrationFailure {
        flushAll();
        // A target that stopped reading must not keep a paused guest waiting for the whole migration timeout.
        // The kernel's socket buffers may hold the last frames, so "everything written" does not mean "read":
        // silence counts as a stall too. The target answers each step within moments when it is alive.
        StallWatch stall = stallWatch();
        while (true) {
            ControlMessage message;
            try {
                message = control.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw MigrationFailure.cancelled("interrupted", e);
            }
            if (message != null) {
                if (message.hasError()) {
                    throw MigrationFailure.refusedByTarget("the target refused: " + describe(message));
                }
                return message;
            }
            throwIfFailed();
            checkpoint.check();
            stall.check();
            if (deadlineNanos != 0 && clock.getAsLong() - deadlineNanos > 0) {
                throw MigrationFailure.failed("the target did not answer in time");
            }
        }
    }

    void received(ControlMessage message) {
        if (message.hasRoundReceived()) {
            roundReceived.accumulateAndGet(message.getRoundReceived().getRound(), Math::max);
            targetProgress.incrementAndGet();
        } else if (message.hasApplied()) {
            targetProgress.incrementAndGet();
        } else if (message.hasPageRequest()) {
            requests.add(message.getPageRequest());
        } else {
            control.add(message);
        }
    }

    @Override
    public void awaitRoundReceived(long round, Checkpoint checkpoint) throws MigrationFailure {
        flushAll();
        StallWatch stall = stallWatch();
        // A version-1 target never confirms rounds: then the best available is "everything left for the wire".
        while (protocolVersion >= 2 ? roundReceived.get() < round : budget.availablePermits() < budgetTotal) {
            checkpoint.check();
            throwIfFailed();
            stall.check();
            LockSupport.parkNanos(100_000);
        }
    }

    void failed(MigrationFailure cause) {
        if (!closing && failure == null) {
            failure = cause;
        }
    }

    @Override
    public void throwIfFailed() throws MigrationFailure {
        MigrationFailure f = failure;
        if (f != null) {
            // An Error frame usually explains a close; prefer it.
            ControlMessage pending = control.peek();
            if (pending != null && pending.hasError()) {
                throw MigrationFailure.failed("the target refused: " + describe(pending), f);
            }
            throw f;
        }
    }

    @Override
    public void close() {
        closing = true;
        for (Channel channel : channels) {
            if (channel != null) {
                channel.close().awaitUninterruptibly();
            }
        }
        try {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            if (urgentGroup != null) {
                urgentGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        } finally {
            frames.close();
        }
    }
}
