package io.mtemigrate.incoming;

import io.netty.channel.Channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an action once every channel of a migration has closed. Sockets read payloads straight into guest memory,
 * so that memory may be released only when no channel can read again.
 */
final class WhenClosed {
    private WhenClosed() {
    }

    static void run(Channel[] channels, Runnable action) {
        int connected = 0;
        for (Channel channel : channels) {
            if (channel != null) {
                connected++;
            }
        }
        if (connected == 0) {
            action.run();
            return;
        }
        AtomicInteger open = new AtomicInteger(connected);
        for (Channel channel : channels) {
            if (channel != null) {
                channel.closeFuture().addListener(f -> {
                    if (open.decrementAndGet() == 0) {
                        action.run();
                    }
                });
            }
        }
    }
}
