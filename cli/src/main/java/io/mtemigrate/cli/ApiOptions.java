package io.mtemigrate.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mtemigrate.host.HostClient;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** How a `vm` command reaches a host's control API, and where its answer goes. */
final class ApiOptions {
    @Option(names = "--host", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7780",
            converter = Converters.Address.class,
            description = "The host's control API ('mte-migrate host --api'; default: ${DEFAULT-VALUE}).")
    HostPort host;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the host's answer as JSON to FILE.")
    Path json;

    @Mixin
    TlsOptions tls;

    /**
     * Runs {@code call} against the host: 0 when it answered, 1 when it refused or failed (its status and message on
     * stderr), 2 when it found the request itself invalid.
     */
    int run(CommandLine commandLine, ApiCall call) throws Exception {
        OutputOptions.requireWritable(commandLine, "--json", json);
        try (HostClient client = new HostClient(host.host(), host.port(), tls.load(commandLine))) {
            return call.run(client);
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            String why = status.getCode() == Status.Code.UNAVAILABLE ? "cannot reach the host at " + host + ": "
                    + status.getDescription() : status.getDescription();
            System.err.println("mte-migrate: " + status.getCode().name().toLowerCase(java.util.Locale.ROOT)
                    .replace('_', ' ') + ": " + why);
            return status.getCode() == Status.Code.INVALID_ARGUMENT ? 2 : 1;
        }
    }

    interface ApiCall {
        int run(HostClient client) throws Exception;
    }

    void write(MessageOrBuilder answer) {
        if (json == null) {
            return;
        }
        try {
            ResultFiles.write(json, JsonFormat.printer().print(answer) + System.lineSeparator());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new CliException("cannot write " + json + ": " + e.getMessage(), e);
        }
    }

    /** For subcommands that only need the API. */
    abstract static class Command implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ApiOptions api;
    }
}
