package io.mtemigrate.cli;

import io.mtemigrate.source.MigrationConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;

/** How to migrate (demo, source, record). */
final class MigrationOptions {
    @Option(names = "--channels", paramLabel = "N", defaultValue = "2", description = "Parallel TCP connections, 1..16 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--downtime-ms", paramLabel = "MS", defaultValue = "50", description = "Downtime limit in milliseconds (default: ${DEFAULT-VALUE}).")
    long downtimeMs;

    @Option(names = "--max-bandwidth", paramLabel = "RATE", defaultValue = "max", converter = Converters.Rate.class,
            description = "Cap on bytes per second sent, e.g. 100M (default: unlimited).")
    long maxBandwidth;

    @Option(names = "--compress", paramLabel = "none|zstd", defaultValue = "none", description = "Page data compression (default: ${DEFAULT-VALUE}).")
    String compress;

    @Option(names = "--no-auto-converge", description = "Never throttle the guest to make the migration converge.")
    boolean noAutoConverge;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30", description = "Give up after this many pre-copy rounds (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = Converters.Time.class,
            description = "Give up when the migration takes longer, handshake included, e.g. 90s, 10m; a --max-bandwidth"
                    + " that cannot carry the migration within it fails it at once (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--stall-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Converters.Time.class,
            description = "Give up when for this long no data has left and the target has reported no progress (it"
                    + " does for every frame it applies); 0 waits for ever (default: ${DEFAULT-VALUE}).")
    Duration stallTimeout;

    @Option(names = "--max-in-flight", paramLabel = "SIZE", defaultValue = "16M", converter = Converters.Size.class,
            description = "Frames the source has encoded that have not reached the socket yet: how far encoding may run"
                    + " ahead of the network, and so the source's memory (default: ${DEFAULT-VALUE}).")
    long maxInFlight;

    MigrationConfig config(CommandLine commandLine) {
        if (channels < 1 || channels > 16) {
            throw new CommandLine.ParameterException(commandLine, "--channels must be 1..16, not " + channels);
        }
        if (downtimeMs < 1) {
            throw new CommandLine.ParameterException(commandLine, "--downtime-ms must be at least 1, not " + downtimeMs);
        }
        if (!compress.equals("none") && !compress.equals("zstd")) {
            throw new CommandLine.ParameterException(commandLine, "--compress must be none or zstd, not '" + compress + "'");
        }
        if (maxInFlight < (1 << 20)) {
            throw new CommandLine.ParameterException(commandLine, "--max-in-flight must be at least 1M");
        }
        if (maxRounds < 1) {
            throw new CommandLine.ParameterException(commandLine, "--max-rounds must be at least 1");
        }
        return MigrationConfig.defaults().withChannels(channels).withDowntimeLimit(Duration.ofMillis(downtimeMs))
                .withMaxBandwidth(maxBandwidth).withZstd(compress.equals("zstd")).withAutoConverge(!noAutoConverge)
                .withMaxRounds(maxRounds).withTimeout(timeout).withStallTimeout(stallTimeout).withMaxInFlight(maxInFlight);
    }
}
