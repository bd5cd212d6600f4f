package io.mtemigrate.cli;

import io.mtemigrate.host.Host;
import io.mtemigrate.host.HostConfig;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.vmsim.PageSize;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "host", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a long-lived host: it holds any number of VMs (created with 'mte-migrate vm create' or"
                + " arrived by migration), accepts migrations on --listen with the limits and mutual TLS of"
                + " 'target', sends its VMs to other hosts when told ('vm migrate'), and serves the gRPC control API"
                + " on --api and Prometheus metrics on --metrics. An arrived VM keeps running here until it is"
                + " migrated on or destroyed. Runs until killed (SIGINT/SIGTERM cancel what is under way).",
                "Exit status: 0 after a clean stop, 1 when it cannot start, 2 for usage errors."})
final class HostCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--name", paramLabel = "NAME", description = "This host's name in messages (default: the hostname).")
    String name;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7777",
            converter = Converters.ListenAddress.class,
            description = "Where migrations arrive; port 0 picks a free port (default: ${DEFAULT-VALUE}).")
    HostPort listen;

    @Option(names = "--api", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7780",
            converter = Converters.ListenAddress.class,
            description = "The gRPC control API; beyond loopback only with the --tls-* files, whose CA then signs"
                    + " the clients' certificates too (default: ${DEFAULT-VALUE}).")
    HostPort api;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9464",
            converter = Converters.ListenAddress.class,
            description = "Prometheus metrics at http://HOST:PORT/metrics (default: ${DEFAULT-VALUE}).")
    HostPort metrics;

    @Option(names = "--no-metrics", description = "Serve no metrics.")
    boolean noMetrics;

    @Option(names = "--backend", paramLabel = "emu|kvm", defaultValue = "emu", converter = Backend.Converter.class,
            description = "What builds arriving VMs: emu (default) or kvm; 'vm create' boots either.")
    Backend backend;

    @Mixin
    IncomingLimits limits;

    @Mixin
    MemoryOptions memory;

    @Mixin
    TlsOptions tls;

    @Override
    public Integer call() throws Exception {
        CommandLine commandLine = spec.commandLine();
        tls.requireAuthenticationBeyondLoopback(commandLine, listen, "--listen " + listen);
        if (!tls.enabled() && !api.isLoopback()) {
            throw new CommandLine.ParameterException(commandLine, "--api " + api + " is not a loopback address: the"
                    + " control API is served beyond loopback only with mutual TLS (--tls-keystore, --tls-truststore,"
                    + " --tls-password-file); --insecure does not apply to it");
        }
        limits.check(commandLine);
        java.nio.file.Path memoryDir = memory.directory(commandLine);
        MutualTls.Credentials credentials = tls.load(commandLine);
        MutualTls serverTls = credentials == null ? null : credentials.server(limits.handshakeTimeout);
        MutualTls clientTls = credentials == null ? null : credentials.client(Duration.ofSeconds(10));
        String hostName = name != null ? name : InetAddress.getLocalHost().getHostName();
        TargetConfig incoming = limits.applyTo(TargetConfig.loopback().withHost(listen.host()).withPort(listen.port()))
                .withInsecure(tls.insecure).withTls(serverTls)
                .withVms(backend.targetFactory(memoryDir, 0, PageSize.SIZE_4K));
        HostConfig config = HostConfig.loopback(hostName, memoryDir, incoming)
                .withApi(api.host(), api.port(), credentials)
                .withMetrics(metrics.host(), noMetrics ? -1 : metrics.port())
                .withOutgoingTls(clientTls, tls.insecure);
        Host host;
        try {
            host = Host.start(config);
        } catch (java.io.IOException | IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new CliException("cannot start the host: " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(host::close, "host-shutdown"));
        System.err.printf("host %s: migrations on %s:%d%s, control API on %s:%d, %s%n", hostName, listen.host(),
                host.migrationPort(), serverTls == null ? "" : " (mutual TLS)", api.host(), host.apiPort(),
                noMetrics ? "no metrics" : "metrics on http://" + metrics.host() + ":" + host.metricsPort() + "/metrics");
        host.awaitTermination();
        return 0;
    }
}
