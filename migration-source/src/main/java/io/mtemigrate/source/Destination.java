package io.mtemigrate.source;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.Hello;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/** Where a migration goes: a target host, or a stream file that records it for a later replay. */
public sealed interface Destination {
    /** @param limits the migration's limits as they are now and may become; a stream file has none */
    MigrationTransport open(Hello hello, MigrationConfig config, LiveLimits limits, long deadlineNanos,
                            Checkpoint checkpoint) throws MigrationFailure;

    static Destination target(InetSocketAddress address) {
        return new Target(address, null);
    }

    /** A target reached over mutual TLS: the source proves itself and checks the target's certificate and name. */
    static Destination target(InetSocketAddress address, MutualTls tls) {
        return new Target(address, Objects.requireNonNull(tls, "tls"));
    }

    static Destination streamFile(Path file) {
        return new StreamFile(file);
    }

    /** @param tls null for a plain connection */
    record Target(InetSocketAddress address, MutualTls tls) implements Destination {
        @Override
        public MigrationTransport open(Hello hello, MigrationConfig config, LiveLimits limits, long deadlineNanos,
                                       Checkpoint checkpoint) throws MigrationFailure {
            return TargetLink.connect(address, tls, hello, config, limits, deadlineNanos, checkpoint);
        }
    }

    record StreamFile(Path file) implements Destination {
        @Override
        public MigrationTransport open(Hello hello, MigrationConfig config, LiveLimits limits, long deadlineNanos,
                                       Checkpoint checkpoint) throws MigrationFailure {
            return StreamFileTransport.create(file, hello);
        }
    }
}
