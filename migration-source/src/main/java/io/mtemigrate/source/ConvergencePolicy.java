package io.mtemigrate.source;

/**
 * Decides after each dirty-log read whether to keep copying, to throttle the guest, to stop and copy, or to give
 * up. Pure apart from its throttle level, and driven by the caller's clock, so it is tested without waiting.
 */
final class ConvergencePolicy {
    sealed interface Decision {
    }

    /** Pause the guest and send what is left. */
    record StopAndCopy(long expectedDowntimeMs) implements Decision {
    }

    /** Send another round, with the guest held to {@code throttle} percent. */
    record Continue(int throttle, long expectedDowntimeMs) implements Decision {
    }

    /** Stop trying; {@code reason} tells the user what did not fit. */
    record GiveUp(String reason) implements Decision {
    }

    private final MigrationConfig config;
    private final LiveLimits limits;
    private final long startNanos;
    private int throttle;

    ConvergencePolicy(MigrationConfig config, long startNanos) {
        this(config, LiveLimits.of(config), startNanos);
    }

    /** @param limits read at every decision, so that a downtime limit raised while the migration runs counts */
    ConvergencePolicy(MigrationConfig config, LiveLimits limits, long startNanos) {
        this.config = config;
        this.limits = limits;
        this.startNanos = startNanos;
    }

    static long expectedDowntimeMs(long dirtyBytes, long bandwidth) {
        if (dirtyBytes == 0) {
            return 0;
        }
        return bandwidth <= 0 ? Long.MAX_VALUE : (long) Math.ceil(dirtyBytes * 1000.0 / bandwidth);
    }

    /**
     * @param round      the round that would be sent next (1 after the first pass)
     * @param dirtyBytes guest bytes dirty now
     * @param bandwidth  bytes per second measured on the wire
     */
    Decision decide(int round, long dirtyBytes, long bandwidth, long nowNanos) {
        long expected = expectedDowntimeMs(dirtyBytes, bandwidth);
        long limitMs = limits.downtimeLimit().toMillis();
        if (expected <= limitMs) {
            return new StopAndCopy(expected);
        }
        if (!config.timeout().isZero() && nowNanos - startNanos > config.timeout().toNanos()) {
            return new GiveUp("the migration did not finish within " + config.timeout().toSeconds() + " s");
        }
        if (round > config.maxRounds()) {
            return new GiveUp("did not converge in " + config.maxRounds() + " rounds: " + dirtyBytes
                    + " dirty bytes would take " + expected + " ms at " + bandwidth / 1_000_000
                    + " MB/s, more than the " + limitMs + " ms downtime limit"
                    + (config.autoConverge() ? " even with the guest throttled to " + throttle + " %" : ""));
        }
        if (config.autoConverge() && round > 1) {
            throttle = throttle == 0 ? MigrationConfig.THROTTLE_START
                    : Math.min(MigrationConfig.THROTTLE_MAX, throttle + MigrationConfig.THROTTLE_STEP);
        }
        return new Continue(throttle, expected);
    }

    int throttle() {
        return throttle;
    }
}
