package io.mtemigrate.source;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Everything a migration is told, passed down whole; nothing is read from globals.
 *
 * @param downtimeLimit   stop-and-copy starts once the dirty pages left would take this long at the measured bandwidth
 * @param maxBandwidth    bytes per second on the wire; 0 for no cap
 * @param channels        parallel TCP connections
 * @param zstd            compress page data with zstd (when the target accepts it)
 * @param autoConverge    throttle the guest when rounds do not converge
 * @param maxRounds       give up after this many rounds after the first pass
 * @param timeout         give up when the whole migration takes longer; zero for no limit
 * @param maxInFlightBytes frames written but not yet on the wire, across all channels
 * @param stallTimeout    give up when the target has taken no data for this long; zero to wait for ever
 * @param nanoClock       time source, {@code System::nanoTime} outside tests
 * @param postcopy        whether and when to switch to post-copy
 */
public record MigrationConfig(Duration downtimeLimit, long maxBandwidth, int channels, boolean zstd,
                              boolean autoConverge, int maxRounds, Duration timeout, long maxInFlightBytes,
                              Duration stallTimeout, LongSupplier nanoClock, Postcopy postcopy) {
    public static final int THROTTLE_START = 20;
    public static final int THROTTLE_STEP = 10;
    public static final int THROTTLE_MAX = 99;

    public MigrationConfig {
        Objects.requireNonNull(downtimeLimit, "downtimeLimit");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(stallTimeout, "stallTimeout");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(postcopy, "postcopy");
        if (channels < 1 || channels > 16) {
            throw new IllegalArgumentException("channels must be 1..16, not " + channels);
        }
        if (downtimeLimit.isNegative() || downtimeLimit.isZero()) {
            throw new IllegalArgumentException("the downtime limit must be positive");
        }
        if (maxBandwidth < 0 || maxRounds < 1 || maxInFlightBytes < (1 << 20)) {
            throw new IllegalArgumentException("bandwidth cap >= 0, rounds >= 1 and in-flight bytes >= 1 MiB");
        }
    }

    public static MigrationConfig defaults() {
        return new MigrationConfig(Duration.ofMillis(50), 0, 2, false, true, 30, Duration.ZERO, 16L << 20,
                Duration.ofSeconds(30), System::nanoTime, Postcopy.off());
    }

    public MigrationConfig withChannels(int n) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, n, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withZstd(boolean on) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, on, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withDowntimeLimit(Duration limit) {
        return new MigrationConfig(limit, maxBandwidth, channels, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withMaxBandwidth(long bytesPerSecond) {
        return new MigrationConfig(downtimeLimit, bytesPerSecond, channels, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withAutoConverge(boolean on) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, on, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withMaxRounds(int rounds) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, rounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withTimeout(Duration limit) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, maxRounds, limit, maxInFlightBytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withStallTimeout(Duration limit) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, limit, nanoClock, postcopy);
    }

    public MigrationConfig withMaxInFlight(long bytes) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, maxRounds, timeout, bytes, stallTimeout, nanoClock, postcopy);
    }

    public MigrationConfig withClock(LongSupplier clock) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, clock, postcopy);
    }

    public MigrationConfig withPostcopy(Postcopy plan) {
        return new MigrationConfig(downtimeLimit, maxBandwidth, channels, zstd, autoConverge, maxRounds, timeout, maxInFlightBytes, stallTimeout, nanoClock, plan);
    }
}
