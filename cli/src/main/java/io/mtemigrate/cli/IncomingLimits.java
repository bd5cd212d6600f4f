package io.mtemigrate.cli;

import io.mtemigrate.incoming.TargetConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;

/** What a receiving side accepts and how long it waits (target, host). */
final class IncomingLimits {
    @Option(names = "--max-ram", paramLabel = "SIZE", defaultValue = "0", converter = Converters.Size.class,
            description = "Refuse arriving VMs with more RAM than this (default: no limit).")
    long maxRam;

    @Option(names = "--max-migrations", paramLabel = "N", defaultValue = "4",
            description = "Migrations received at once; more are refused as busy (default: ${DEFAULT-VALUE}).")
    int maxMigrations;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Converters.Time.class,
            description = "Discard a migration whose source has sent nothing for this long (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = Converters.Time.class,
            description = "Close a connection that has not finished TLS and said Hello by then (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--release-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = Converters.Time.class,
            description = {"After a guest resumed here, wait this long for its source to verify its copy and release"
                    + " the guest; without a Release by then the guest is discarded here and the source, told so,"
                    + " resumes its own copy. 0 waits for ever (default: ${DEFAULT-VALUE})."})
    Duration releaseTimeout;

    @Option(names = "--recovery-timeout", paramLabel = "DURATION", defaultValue = "5m", converter = Converters.Time.class,
            description = {"After a switch to post-copy, how long a guest whose source went away waits here (its"
                    + " vCPUs blocked on pages still there) for the source to come back; then it is stopped and"
                    + " discarded, and the guest is lost (default: ${DEFAULT-VALUE})."})
    Duration recoveryTimeout;

    /** Refuses limits no receiver can work with; call before anything starts. */
    void check(CommandLine commandLine) {
        if (maxMigrations < 1) {
            throw new CommandLine.ParameterException(commandLine, "--max-migrations must be at least 1");
        }
        if (handshakeTimeout.isZero()) {
            throw new CommandLine.ParameterException(commandLine, "--handshake-timeout must be positive");
        }
        if (recoveryTimeout.isZero()) {
            throw new CommandLine.ParameterException(commandLine, "--recovery-timeout must be positive");
        }
    }

    TargetConfig applyTo(TargetConfig config) {
        return config.withMaxRam(maxRam).withMaxMigrations(maxMigrations).withIdleTimeout(idleTimeout)
                .withHandshakeTimeout(handshakeTimeout).withReleaseTimeout(releaseTimeout)
                .withRecoveryTimeout(recoveryTimeout);
    }
}
