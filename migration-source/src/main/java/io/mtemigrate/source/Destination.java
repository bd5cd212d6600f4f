package io.mtemigrate.source;

import io.mtemigrate.proto.Hello;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** Where a migration goes: a target host, or a stream file that records it for a later replay. */
public sealed interface Destination {
    MigrationTransport open(Hello hello, MigrationConfig config, long deadlineNanos, Checkpoint checkpoint)
            throws MigrationFailure;

    static Destination target(InetSocketAddress address) {
        return new Target(address);
    }

    static Destination streamFile(Path file) {
        return new StreamFile(file);
    }

    record Target(InetSocketAddress address) implements Destination {
        @Override
        public MigrationTransport open(Hello hello, MigrationConfig config, long deadlineNanos, Checkpoint checkpoint)
                throws MigrationFailure {
            return TargetLink.connect(address, hello, config, deadlineNanos, checkpoint);
        }
    }

    record StreamFile(Path file) implements Destination {
        @Override
        public MigrationTransport open(Hello hello, MigrationConfig config, long deadlineNanos, Checkpoint checkpoint)
                throws MigrationFailure {
            return StreamFileTransport.create(file, hello);
        }
    }
}
