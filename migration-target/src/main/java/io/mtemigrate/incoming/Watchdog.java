package io.mtemigrate.incoming;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * One connection's clock: when it opened and when it last read anything. It sits where Netty's IdleStateHandler
 * would, ahead of the decoders, so a read counts even when it is only part of a frame; the timeouts are then
 * decided against the same clock, by {@link #beforeHello} here and by the {@link Receiver}'s Tick once the
 * connection has joined a migration.
 */
final class Watchdog extends ChannelInboundHandlerAdapter {
    private final LongSupplier clock;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final long openedNanos;
    private volatile long lastHeardNanos;

    Watchdog(LongSupplier clock, Duration handshakeTimeout, Duration idleTimeout) {
        this.clock = clock;
        this.handshakeTimeout = handshakeTimeout;
        this.idleTimeout = idleTimeout;
        this.openedNanos = clock.getAsLong();
        this.lastHeardNanos = openedNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        heard();
        ctx.fireChannelRead(msg);
    }

    void heard() {
        lastHeardNanos = clock.getAsLong();
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** A refusal of a connection that has not said Hello yet, once one of its timeouts ran out; empty before. */
    Optional<Refusal> beforeHello() {
        long now = clock.getAsLong();
        if (Timeouts.expired(handshakeTimeout, openedNanos, now)) {
            return Optional.of(new Refusal("no Hello within " + handshakeTimeout.toMillis() + " ms", false));
        }
        if (Timeouts.expired(idleTimeout, lastHeardNanos, now)) {
            return Optional.of(new Refusal("the source sent nothing for " + idleTimeout.toSeconds() + " s", true));
        }
        return Optional.empty();
    }

    /** @param tellPeer whether the peer is told, with a TIMEOUT error, or only closed */
    record Refusal(String reason, boolean tellPeer) {
    }
}
