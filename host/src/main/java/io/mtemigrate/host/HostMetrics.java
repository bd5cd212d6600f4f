package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationReport;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.function.IntSupplier;

/**
 * The host's Prometheus metrics, in a registry of its own (several hosts may share a process in tests), and the
 * HTTP endpoint that serves them.
 */
final class HostMetrics implements AutoCloseable {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter migrations = Counter.builder().name("mte_migrate_migrations_total")
            .help("Migrations by direction (outgoing, incoming) and outcome (completed, failed, cancelled)")
            .labelNames("direction", "outcome").register(registry);
    private final Counter bytes = Counter.builder().name("mte_migrate_migration_bytes_total")
            .help("Bytes of outgoing migrations by kind: wire (all), page_data, tags")
            .labelNames("kind").register(registry);
    private final Histogram downtime = Histogram.builder().name("mte_migrate_migration_downtime_seconds")
            .help("Downtime of completed outgoing migrations, source pause to target resume")
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5).register(registry);
    private final Histogram totalTime = Histogram.builder().name("mte_migrate_migration_total_time_seconds")
            .help("Total time of outgoing migrations, whatever their outcome")
            .classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300).register(registry);
    private HTTPServer server;

    HostMetrics(IntSupplier vmsHosted) {
        GaugeWithCallback.builder().name("mte_migrate_vms_hosted").help("VMs this host runs now")
                .callback(callback -> callback.call(vmsHosted.getAsInt())).register(registry);
    }

    /** Serves /metrics on {@code host:port} (0 picks a port); returns the port. */
    int serve(String host, int port) {
        try {
            server = HTTPServer.builder().inetAddress(InetAddress.getByName(host)).port(port).registry(registry)
                    .buildAndStart();
            return server.getPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    void outgoing(MigrationReport report) {
        migrations.labelValues("outgoing", report.getStatus()).inc();
        bytes.labelValues("wire").inc(report.getBytesOnWire());
        bytes.labelValues("page_data").inc(report.getPageDataBytes());
        bytes.labelValues("tags").inc(report.getTagBytesOnWire());
        totalTime.observe(report.getTotalTimeMs() / 1e3);
        if (report.getStatus().equals("completed")) {
            downtime.observe(report.getDowntimeMs() / 1e3);
        }
    }

    void incoming(String outcome) {
        migrations.labelValues("incoming", outcome).inc();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
