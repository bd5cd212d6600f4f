package io.mtemigrate.source;

import java.util.function.LongSupplier;

/**
 * Fails a wait during which nothing moved for the stall timeout. Progress is a byte leaving for the wire or a sign
 * from the target that it is applying pages: a slow link is not a stall, silence in both directions is.
 */
final class StallWatch {
    private final LongSupplier clock;
    private final LongSupplier bytesWritten;
    private final LongSupplier targetProgress;
    private final LongSupplier bytesWaiting;
    private final long timeoutNanos;
    private long since;
    private long written;
    private long progress;

    /** @param timeoutNanos 0 never fails */
    StallWatch(LongSupplier clock, LongSupplier bytesWritten, LongSupplier targetProgress, LongSupplier bytesWaiting,
               long timeoutNanos) {
        this.clock = clock;
        this.bytesWritten = bytesWritten;
        this.targetProgress = targetProgress;
        this.bytesWaiting = bytesWaiting;
        this.timeoutNanos = timeoutNanos;
        this.since = clock.getAsLong();
        this.written = bytesWritten.getAsLong();
        this.progress = targetProgress.getAsLong();
    }

    void check() throws MigrationFailure {
        long now = clock.getAsLong();
        long current = bytesWritten.getAsLong();
        long fromTarget = targetProgress.getAsLong();
        if (current != written || fromTarget != progress) {
            written = current;
            progress = fromTarget;
            since = now;
        } else if (timeoutNanos > 0 && now - since > timeoutNanos) {
            long waiting = bytesWaiting.getAsLong();
            long seconds = timeoutNanos / 1_000_000_000L;
            throw MigrationFailure.timedOut(waiting > 0
                    ? "the target has taken no data for " + seconds + " s (stalled target or broken network); "
                            + waiting + " bytes were waiting to be sent"
                    : "the target has not answered for " + seconds + " s (stalled target or broken network)");
        }
    }
}
