package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.source.MigrationConfig;

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
        if (options.getDowntimeMs() > 3_600_000 || options.getTimeoutMs() > 86_400_000L * 365) {
            throw ApiException.invalid("downtime_ms or timeout_ms is beyond reason");
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
            return config.withZstd(options.getZstd()).withAutoConverge(!options.getNoAutoConverge());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }
}
