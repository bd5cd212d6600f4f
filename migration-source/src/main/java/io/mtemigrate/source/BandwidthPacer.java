package io.mtemigrate.source;


import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** Holds frames back to {@code --max-bandwidth}, on the migration thread only. */
final class BandwidthPacer {
    private static final long PACING_SLACK_NANOS = 10_000_000;

    private final LiveLimits limits;
    private final LongSupplier clock;
    /** When the migration's --timeout runs out (0: never), and that timeout. */
    private final long deadlineNanos;
    private final Duration timeout;
    private long pacedUntilNanos;
    /** Bytes that went through the cap: what it has to let through before the deadline. */
    private long pacedBytes;

    /** @param limits its cap is read for every frame, so that a change while the migration runs counts at once */
    BandwidthPacer(LiveLimits limits, LongSupplier clock, long deadlineNanos, Duration timeout) {
        this.limits = limits;
        this.clock = clock;
        this.deadlineNanos = deadlineNanos;
        this.timeout = timeout;
    }

    LiveLimits limits() {
        return limits;
    }

    /**
     * Holds a frame of {@code size} bytes back until the cap lets it go. A frame the cap would let go only after the
     * migration's deadline fails the migration at once, naming the cap: waiting for the deadline first would take as
     * long and then blame the wrong thing.
     *
     * @param deadline checks the migration's own timeout while it waits
     * @param failed   true once the link failed: stop waiting
     */
    void pace(int size, Checkpoint checkpoint, Checkpoint deadline, BooleanSupplier failed) throws MigrationFailure {
        long maxBandwidth = limits.maxBandwidth();
        if (maxBandwidth <= 0) {
            return;
        }
        long now = clock.getAsLong();
        pacedBytes += size;
        // A park oversleeps by tens of microseconds, longer than a small frame's share of a second: keep the debt
        // for up to PACING_SLACK so later frames catch up instead of every oversleep lowering the rate.
        pacedUntilNanos = Math.max(pacedUntilNanos, now - PACING_SLACK_NANOS) + size * 1_000_000_000L / maxBandwidth;
        if (deadlineNanos != 0 && now - deadlineNanos < 0 && pacedUntilNanos - deadlineNanos > 0) {
            Duration leavesAfter = Duration.ofNanos(pacedUntilNanos - (deadlineNanos - timeout.toNanos()));
            throw MigrationFailure.timedOut(BandwidthCap.tooSmall(maxBandwidth, timeout, pacedBytes, leavesAfter));
        }
        long left;
        while ((left = pacedUntilNanos - clock.getAsLong()) > 0 && !failed.getAsBoolean()) {
            LockSupport.parkNanos(Math.min(left, 50_000_000L));
            checkpoint.check();
            deadline.check();
        }
    }
}
