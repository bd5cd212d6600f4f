package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Postcopy;

import java.time.Duration;

/** A migration's options as the API gives them, with the defaults of `mte-migrate source` for those left out. */
final class MigrationOptionsParser {
    private MigrationOptionsParser() {
    }

    /** @throws ApiException INVALID_ARGUMENT naming the option */
    static MigrationConfig config(MigrationOptions options) {
        MigrationConfig config = MigrationConfig.defaults();
        if (options.getChannels() > 16) {
            throw ApiException.invalid("channels must be 1..16, not " + options.getChannels());
        }
        if (options.getDowntimeMs() > 3_600_000 || options.getTimeoutMs() > 86_400_000L * 365
                || options.getPostcopyRecoveryTimeoutMs() > 86_400_000L * 365) {
            throw ApiException.invalid("downtime_ms, timeout_ms or postcopy_recovery_timeout_ms is beyond reason");
        }
        try {
            if (options.getDowntimeMs() > 0) {
                config = config.withDowntimeLimit(Duration.ofMillis(options.getDowntimeMs()));
            }
            if (options.hasMaxBandwidth()) {
                config = config.withMaxBandwidth(options.getMaxBandwidth());
            }
            if (options.getChannels() > 0) {
                config = config.withChannels(options.getChannels());
            }
            if (options.getMaxRounds() > 0) {
                config = config.withMaxRounds(options.getMaxRounds());
            }
            if (options.getTimeoutMs() > 0) {
                config = config.withTimeout(Duration.ofMillis(options.getTimeoutMs()));
            }
            if (options.getStallTimeoutMs() > 0) {
                config = config.withStallTimeout(Duration.ofMillis(options.getStallTimeoutMs()));
            }
            config = config.withPostcopy(postcopy(options, config.maxRounds()));
            return config.withZstd(options.getZstd()).withAutoConverge(!options.getNoAutoConverge());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    private static Postcopy postcopy(MigrationOptions options, int maxRounds) {
        if (options.getPostcopy().isEmpty()) {
            if (options.getPostcopyRecoveryTimeoutMs() > 0) {
                throw ApiException.invalid("postcopy_recovery_timeout_ms applies only with postcopy ("
                        + PostcopyPlans.ACCEPTED + ")");
            }
            return Postcopy.off();
        }
        Postcopy plan;
        try {
            plan = PostcopyPlans.parse(options.getPostcopy());
            PostcopyPlans.requireReachable(plan, maxRounds, "max_rounds");
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("postcopy " + e.getMessage());
        }
        if (options.getPostcopyRecoveryTimeoutMs() > 0) {
            plan = plan.withRecoveryTimeout(Duration.ofMillis(options.getPostcopyRecoveryTimeoutMs()));
        }
        return plan;
    }
}
