package io.mtemigrate.source;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of a migration that its owner may change while it runs (QEMU's migrate-set-parameters): the downtime
 * limit, read at each convergence decision, and the bandwidth cap, read for each frame. They start as the
 * {@link MigrationConfig}'s. A migration armed for post-copy can also be told to switch now (QEMU's
 * migrate-start-postcopy).
 */
public final class LiveLimits {
    private volatile long downtimeLimitNanos;
    private volatile long maxBandwidth;
    private volatile boolean postcopyRequested;

    private LiveLimits(Duration downtimeLimit, long maxBandwidth) {
        setDowntimeLimit(downtimeLimit);
        setMaxBandwidth(maxBandwidth);
    }

    public static LiveLimits of(MigrationConfig config) {
        return new LiveLimits(config.downtimeLimit(), config.maxBandwidth());
    }

    public Duration downtimeLimit() {
        return Duration.ofNanos(downtimeLimitNanos);
    }

    /** Bytes per second on the wire; 0 for no cap. */
    public long maxBandwidth() {
        return maxBandwidth;
    }

    /** @throws IllegalArgumentException unless positive, as MigrationConfig requires */
    public void setDowntimeLimit(Duration limit) {
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the downtime limit must be positive, not " + limit.toMillis() + " ms");
        }
        downtimeLimitNanos = limit.toNanos();
    }

    /** @throws IllegalArgumentException for a negative rate */
    public void setMaxBandwidth(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("the bandwidth cap cannot be negative: " + bytesPerSecond);
        }
        maxBandwidth = bytesPerSecond;
    }

    /** Asks for the switch to post-copy at the end of the pass or round being sent; only an armed migration heeds it. */
    public void startPostcopy() {
        postcopyRequested = true;
    }

    public boolean postcopyRequested() {
        return postcopyRequested;
    }
}
