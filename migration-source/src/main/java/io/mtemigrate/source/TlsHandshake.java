package io.mtemigrate.source;

import io.mtemigrate.migration.MutualTls;
import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;

/** The source's TLS with a target: the handler first in a connection's pipeline, and the wait for its handshake. */
final class TlsHandshake {
    private final Future<Channel> done;

    private TlsHandshake(Future<Channel> done) {
        this.done = done;
    }

    /** Puts the TLS handler first in {@code channel}'s pipeline; null, changing nothing, without {@code tls}. */
    static TlsHandshake begin(SocketChannel channel, MutualTls tls, InetSocketAddress target) {
        if (tls == null) {
            return null;
        }
        SslHandler handler = tls.newHandler(channel.alloc(), target.getHostString(), target.getPort());
        channel.pipeline().addLast(handler);
        // The handler's own future: a target that closes at once has already emptied the pipeline.
        return new TlsHandshake(handler.handshakeFuture());
    }

    /** How the caller waits for a future: within its deadline and cancellation. */
    @FunctionalInterface
    interface Waiter {
        void await(Future<?> future, Checkpoint checkpoint) throws MigrationFailure;
    }

    void await(InetSocketAddress target) throws MigrationFailure {
        await(target, (future, ignored) -> future.awaitUninterruptibly(), Checkpoint.NONE);
    }

    void await(InetSocketAddress target, Waiter waiter, Checkpoint checkpoint) throws MigrationFailure {
        waiter.await(done, checkpoint);
        if (!done.isSuccess()) {
            throw MigrationFailure.failed("TLS handshake with the target at " + target.getHostString() + ":"
                    + target.getPort() + " failed: " + describe(done.cause()), done.cause());
        }
    }

    /** The TLS reason, with a hint when the target refused this source's certificate after the handshake. */
    static String describe(Throwable cause) {
        Throwable tls = cause instanceof SSLException || cause.getCause() == null ? cause : cause.getCause();
        String message = String.valueOf(tls.getMessage());
        if (message.contains("fatal alert") && (message.contains("certificate") || message.contains("unknown_ca"))) {
            return message + " (the target does not accept this source's certificate)";
        }
        return message;
    }
}
