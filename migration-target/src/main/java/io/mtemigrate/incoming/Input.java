package io.mtemigrate.incoming;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;

/** What can happen to a migration on the target: what {@link Receiver#step} takes besides the state. */
sealed interface Input {
    /** A channel said Hello and asks to join the migration. */
    record Join(int channel) implements Input {
    }

    /** A control message on a channel after its Hello. */
    record Control(int channel, ControlMessage message) implements Input {
    }

    /** A checked page batch on a channel, before its pages are applied (which happens outside the step). */
    record Pages(int channel) implements Input {
    }

    /** Post-copy: the last page the source owed is installed. */
    record AllArrived() implements Input {
    }

    /** A channel closed. */
    record Closed(int channel) implements Input {
    }

    /** This host failed the migration: a corrupt frame, a memory fault, a shutdown. */
    record Failed(String reason, ErrorCode code) implements Input {
    }

    /**
     * Time passed: the timeouts are decided against the receiver's clock.
     *
     * @param lastHeardNanos when the channel last read anything, by the same clock
     */
    record Tick(int channel, long lastHeardNanos) implements Input {
    }
}
