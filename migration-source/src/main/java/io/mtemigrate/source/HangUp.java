package io.mtemigrate.source;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * Whether a failed write or read means the target hung up. A hang-up reaches the source in whichever form the
 * socket noticed it first: the channel already closed, EPIPE on a write after the peer's FIN, or ECONNRESET after
 * its RST; all three are the same event and are reported alike.
 */
final class HangUp {
    private HangUp() {
    }

    static boolean is(Throwable cause) {
        if (cause instanceof ClosedChannelException) {
            return true;
        }
        String message = cause instanceof IOException ? cause.getMessage() : null;
        return message != null && (message.contains("Broken pipe") || message.contains("Connection reset by peer"));
    }
}
