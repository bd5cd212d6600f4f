package io.mtemigrate.incoming;

import java.time.Duration;

/** Timeout decisions as functions of a nanosecond clock, so that tests decide them with a clock they advance. */
final class Timeouts {
    /** How often a channel asks the clock at least, and at most: a timeout is noticed within a quarter of itself. */
    private static final long MIN_POLL_MILLIS = 10;
    private static final long MAX_POLL_MILLIS = 1000;

    private Timeouts() {
    }

    /** Whether {@code timeout} (zero: none) has run out between {@code sinceNanos} and {@code nowNanos}. */
    static boolean expired(Duration timeout, long sinceNanos, long nowNanos) {
        return !timeout.isZero() && nowNanos - sinceNanos >= timeout.toNanos();
    }

    /** How often to look at the clock to notice each of {@code timeouts} within a quarter of its length. */
    static long pollMillis(Duration... timeouts) {
        long shortest = MAX_POLL_MILLIS * 4;
        for (Duration timeout : timeouts) {
            if (!timeout.isZero()) {
                shortest = Math.min(shortest, timeout.toMillis());
            }
        }
        return Math.clamp(shortest / 4, MIN_POLL_MILLIS, MAX_POLL_MILLIS);
    }
}
