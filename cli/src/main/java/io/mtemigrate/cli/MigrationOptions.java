package io.mtemigrate.cli;

import io.mtemigrate.host.PostcopyPlans;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Postcopy;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;

/** How to migrate (demo, source, record, vm migrate). */
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

    @Option(names = "--postcopy", paramLabel = "WHEN", arity = "0..1", fallbackValue = "first-pass",
            converter = Converters.PostcopyWhen.class,
            description = {"Switch to post-copy at WHEN: the guest then resumes on the target before all of its"
                    + " memory is there, and each page it first touches there waits a network round trip for it."
                    + " For guests that dirty memory faster than the link carries it (no throttling, one short"
                    + " pause); the risk: after the switch the guest's memory is split between the hosts, so losing"
                    + " the source, or the link for longer than --postcopy-recovery-timeout, loses the guest.",
                    "WHEN: start (before any page is sent: each page crosses the link once, but each the guest"
                            + " touches before the push is a fault), first-pass (the default of a bare --postcopy),"
                            + " rounds:N (after N pre-copy rounds), when-stuck (when pre-copy gives up), on-request"
                            + " (when 'vm set --start-postcopy' asks; 'vm migrate' only). Emulator guests only; a"
                            + " recording cannot switch."})
    Postcopy postcopy;

    @Option(names = "--postcopy-recovery-timeout", paramLabel = "DURATION", defaultValue = "5m",
            converter = Converters.Time.class,
            description = "With --postcopy: after the switch, how long either side waits for lost connections to"
                    + " come back before it gives the guest up (default: ${DEFAULT-VALUE}).")
    Duration postcopyRecoveryTimeout;

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
                .withMaxRounds(maxRounds).withTimeout(timeout).withStallTimeout(stallTimeout).withMaxInFlight(maxInFlight)
                .withPostcopy(postcopy(commandLine));
    }

    private Postcopy postcopy(CommandLine commandLine) {
        if (postcopy == null) {
            if (commandLine.getParseResult().hasMatchedOption("--postcopy-recovery-timeout")) {
                throw new CommandLine.ParameterException(commandLine, "--postcopy-recovery-timeout applies only"
                        + " with --postcopy[=WHEN]");
            }
            return Postcopy.off();
        }
        if (postcopyRecoveryTimeout.isZero()) {
            throw new CommandLine.ParameterException(commandLine, "--postcopy-recovery-timeout must be positive");
        }
        try {
            PostcopyPlans.requireReachable(postcopy, maxRounds, "--max-rounds");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "--postcopy=" + e.getMessage());
        }
        return postcopy.withRecoveryTimeout(postcopyRecoveryTimeout);
    }

    /**
     * Refuses, as a usage error, a post-copy that cannot happen in a command that runs the migration itself: on a KVM
     * guest, or on request when nothing can ask.
     */
    void requirePostcopyPossible(CommandLine commandLine, Backend backend) {
        if (postcopy == null) {
            return;
        }
        if (backend == Backend.KVM) {
            throw new CommandLine.ParameterException(commandLine, "--postcopy applies to the emulator's guests: the"
                    + " kvm backend cannot run a guest before its memory arrives, so its targets refuse post-copy");
        }
        if (postcopy.when() == Postcopy.When.ON_REQUEST) {
            throw new CommandLine.ParameterException(commandLine, "--postcopy=on-request: nothing can ask this"
                    + " command to switch; it is for 'vm migrate', switched by 'vm set --start-postcopy'. Accepted"
                    + " here: start, first-pass, rounds:N or when-stuck");
        }
    }

    /** Refuses --postcopy as a usage error where no target runs the guest: {@code why} says so. */
    void refusePostcopy(CommandLine commandLine, String why) {
        if (postcopy != null) {
            throw new CommandLine.ParameterException(commandLine, "--postcopy: " + why);
        }
    }
}
