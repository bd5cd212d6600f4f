package io.mtemigrate.source;

import java.util.function.LongSupplier;

/** The rate of one round: bytes written from its start until the target confirmed it, over that time. */
final class RoundRate {
    private final LongSupplier clock;
    private final long startNanos;
    private final long startBytes;
    private long bytesPerSecond = Long.MAX_VALUE;

    RoundRate(LongSupplier clock, long startNanos, long startBytes) {
        this.clock = clock;
        this.startNanos = startNanos;
        this.startBytes = startBytes;
    }

    /** The round is over with {@code bytesWritten} written on the link in all. */
    void ended(long bytesWritten) {
        long nanos = clock.getAsLong() - startNanos;
        long bytes = bytesWritten - startBytes;
        bytesPerSecond = nanos <= 0 || bytes <= 0 ? Long.MAX_VALUE : (long) (bytes * 1e9 / nanos);
    }

    /** Long.MAX_VALUE until the round ended with bytes to measure: then it gives way to any other estimate. */
    long bytesPerSecond() {
        return bytesPerSecond;
    }
}
