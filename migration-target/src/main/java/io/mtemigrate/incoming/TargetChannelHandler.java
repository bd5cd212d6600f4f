package io.mtemigrate.incoming;

import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.Capabilities;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.HelloAccept;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.frame.LandingReceiver;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.tagstream.handshake.VersionNegotiator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection of a migration. The first frame must be a Hello; channel 0 then carries the control messages of
 * the session and pages, the others pages and their round ends. It is its channel's landing site: it says where
 * the pages of a checked batch go before their payload is read.
 */
final class TargetChannelHandler extends ChannelInboundHandlerAdapter implements LandingReceiver.LandingSite {
    private static final int MAX_CHANNELS = 16;

    private final TargetServer server;
    private final VersionNegotiator versions = new VersionNegotiator();
    private TargetSession session;
    private int index = -1;
    private Channel channel;
    private final ChannelPages pages = new ChannelPages();
    private final Watchdog watchdog;
    private ScheduledFuture<?> ticks;

    TargetChannelHandler(TargetServer server, Watchdog watchdog) {
        this.server = server;
        this.watchdog = watchdog;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        TargetConfig config = server.config();
        long period = Timeouts.pollMillis(config.handshakeTimeout(), config.idleTimeout(), config.releaseTimeout());
        ticks = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), period, period, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    /** Lets the timeouts look at the clock: the watchdog's before the Hello, the migration's after it. */
    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (session != null) {
            if (session.isAttached(index, ctx.channel())) {
                session.tick(index, watchdog.lastHeardNanos());
            }
            return;
        }
        watchdog.beforeHello().ifPresent(refusal -> {
            ticks.cancel(false);
            if (refusal.tellPeer()) {
                fail(ctx, ErrorCode.ERROR_CODE_TIMEOUT, refusal.reason());
            } else {
                refuse(ctx, refusal.reason());
            }
        });
    }

    @Override
    public MemorySegment destinationOf(PageBatch batch) {
        if (session == null) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION,
                    "the first message must be Hello, not a page batch");
        }
        if (!session.isAttached(index, channel)) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CANCELLED, "the migration dropped this connection");
        }
        return session.destinationOf(pages, batch);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (session == null) {
                onHello(ctx, msg);
            } else if (!session.isAttached(index, ctx.channel())) {
                // A connection the migration dropped while it waits for its source to reconnect: what it still
                // delivers is from before the loss and is sent again.
                return;
            } else if (msg instanceof PageBatch batch) {
                session.onPageBatch(pages, batch);
            } else if (msg instanceof ControlMessage control) {
                session.onControl(index, control);
            }
        } catch (MigrationAbort e) {
            fail(ctx, e.code(), e.getMessage());
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHello(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ControlMessage control) || !control.hasHello()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "the first message must be Hello, not "
                    + (msg instanceof ControlMessage c ? c.getBodyCase() : "a page batch"));
        }
        Hello hello = control.getHello();
        int version;
        try {
            version = versions.negotiate(hello);
        } catch (VersionNegotiator.UnsupportedVersionException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, e.getMessage());
        }
        Capabilities offered = hello.getCapabilities();
        int pageSize = offered.getPageSize();
        if (pageSize != 4096 && pageSize != 16384 && pageSize != 65536) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PAGE_SIZE_UNSUPPORTED, "page size " + pageSize
                    + " cannot be hosted here (4096, 16384 or 65536)");
        }
        if (hello.getPostcopy() && !server.config().vms().supportsPostcopy()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CAPABILITY_MISMATCH, "this target's " + server.config().vms()
                    .kind().backend() + " VMs cannot run before their memory arrives, so it cannot take a post-copy"
                    + " migration (that needs a userfaultfd that installs a page with its MTE tags)");
        }
        if (offered.getMte() && !server.config().vms().hostHasMte()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_MTE_UNAVAILABLE, "the VM uses MTE and this host has none");
        }
        if (hello.getChannelCount() < 1 || hello.getChannelCount() > MAX_CHANNELS) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CHANNEL_MISMATCH, "channel count " + hello.getChannelCount()
                    + " is not 1.." + MAX_CHANNELS);
        }
        int channelIndex = hello.getChannelIndex();
        TargetSession joined = channelIndex == 0 && !hello.getRecover()
                ? server.newSession(hello.getSessionId(), hello.getChannelCount(), version, hello.getPostcopy())
                : server.session(hello.getSessionId());
        if (joined == null) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CHANNEL_MISMATCH, "channel " + channelIndex
                    + " names a migration this target does not know");
        }
        // Only a channel the session took belongs to it: a stray duplicate is refused alone, not the migration.
        joined.attach(channelIndex, ctx.channel(), hello.getRecover());
        session = joined;
        index = channelIndex;
        channel = ctx.channel();
        ctx.writeAndFlush(ControlMessage.newBuilder().setHelloAccept(HelloAccept.newBuilder()
                .setProtocolVersion(version).setAgreed(offered.toBuilder().setMaxChannels(MAX_CHANNELS))
                .setSessionId(hello.getSessionId()).setSoftware(Protocol.SOFTWARE)).build());
    }

    private void fail(ChannelHandlerContext ctx, ErrorCode code, String reason) {
        if (session != null && !session.isAttached(index, ctx.channel())) {
            ctx.close();
        } else if (session != null && index >= 0) {
            session.abort(reason, code);
        } else {
            // Not a migration yet (a refused Hello, a busy target, garbage): a `--once` target must not end over
            // it, nor a peer fill the reports with failures.
            ctx.writeAndFlush(Protocol.error(code, reason)).addListener(f -> ctx.close());
            server.listener().onRefusedConnection(String.valueOf(ctx.channel().remoteAddress()),
                    code.name().replace("ERROR_CODE_", "") + ": " + reason);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (session == null && (cause instanceof SSLException || cause.getCause() instanceof SSLException)) {
            refuse(ctx, "TLS handshake failed: " + (cause instanceof SSLException ? cause : cause.getCause()).getMessage());
            return;
        }
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof IOException && !(root instanceof SSLException)
                && server.config().vms().explainMemoryFault(root).isEmpty()) {
            // A reset or a broken pipe: the source went away, which a close says too. channelInactive tells the
            // session, which after a switch to post-copy waits for the source to come back instead of failing.
            ctx.close();
            return;
        }
        if (root instanceof FrameException) {
            fail(ctx, ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH, root.getMessage());
        } else if (root instanceof MigrationAbort abort) {
            fail(ctx, abort.code(), abort.getMessage());
        } else {
            // The JVM may raise a memory fault a few instructions after the store, outside the session's own catch.
            Optional<String> memoryFault = server.config().vms().explainMemoryFault(root);
            fail(ctx, memoryFault.isPresent() ? ErrorCode.ERROR_CODE_VM_ERROR : ErrorCode.ERROR_CODE_INTERNAL,
                    memoryFault.orElse("target error: " + root));
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        server.listener().onRefusedConnection(String.valueOf(ctx.channel().remoteAddress()), reason);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ticks != null) {
            ticks.cancel(false);
        }
        if (session != null && session.isAttached(index, ctx.channel())) {
            session.channelClosed(index);
        }
    }
}
