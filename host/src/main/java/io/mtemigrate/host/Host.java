package io.mtemigrate.host;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mtemigrate.incoming.TargetServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * A long-running host: holds VMs booted on request or arrived by migration, accepts migrations through an embedded
 * target, sends its VMs to other hosts, and serves the gRPC control API and Prometheus metrics.
 */
public final class Host implements AutoCloseable {
    private final HostConfig config;
    private final HostMetrics metrics;
    private final Vms vms;
    private final TargetServer incoming;
    private final Server api;
    private final int metricsPort;

    private Host(HostConfig config) throws IOException, InterruptedException {
        requireAuthenticationBeyondLoopback(config);
        this.config = config;
        Vms[] holder = new Vms[1];
        this.metrics = new HostMetrics(() -> holder[0] == null ? 0 : holder[0].count());
        this.vms = new Vms(config, metrics);
        holder[0] = vms;
        TargetServer target = null;
        Server server = null;
        int metricsAt = -1;
        try {
            if (config.incoming() != null) {
                target = TargetServer.start(config.incoming(), vms);
            }
            ServerCredentials credentials = config.apiTls() == null ? InsecureServerCredentials.create()
                    : ApiTls.server(config.apiTls());
            server = NettyServerBuilder.forAddress(new InetSocketAddress(config.apiHost(), config.apiPort()), credentials)
                    .addService(new HostService(vms)).build().start();
            if (config.metricsPort() >= 0) {
                metricsAt = metrics.serve(config.metricsHost(), config.metricsPort());
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (server != null) {
                server.shutdownNow();
            }
            if (target != null) {
                target.close();
            }
            metrics.close();
            throw e;
        }
        this.incoming = target;
        this.api = server;
        this.metricsPort = metricsAt;
    }

    /**
     * Binds everything the configuration asks for.
     *
     * @throws IllegalArgumentException when the API would listen beyond loopback without mutual TLS
     * @throws IOException              when a port is taken
     */
    public static Host start(HostConfig config) throws IOException, InterruptedException {
        return new Host(config);
    }

    private static void requireAuthenticationBeyondLoopback(HostConfig config) throws UnknownHostException {
        if (config.apiTls() == null && !InetAddress.getByName(config.apiHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException("the control API on " + config.apiHost() + " is not on loopback and"
                    + " has no mutual TLS: anyone who reaches it could take the host's VMs. Give it the --tls-* files");
        }
    }

    public String name() {
        return config.name();
    }

    public int apiPort() {
        return ((InetSocketAddress) api.getListenSockets().getFirst()).getPort();
    }

    /** The port migrations arrive on; -1 when this host accepts none. */
    public int migrationPort() {
        return incoming == null ? -1 : incoming.port();
    }

    /** -1 when no metrics are served. */
    public int metricsPort() {
        return metricsPort;
    }

    /** Incoming migrations under way. */
    public int activeIncoming() {
        return incoming == null ? 0 : incoming.activeMigrations();
    }

    public void awaitTermination() throws InterruptedException {
        api.awaitTermination();
    }

    /** Cancels outgoing migrations (their VMs stay here until then), stops every VM and every server. */
    @Override
    public void close() {
        api.shutdown();
        try {
            vms.close();
            if (!api.awaitTermination(5, TimeUnit.SECONDS)) {
                api.shutdownNow();
            }
        } catch (InterruptedException e) {
            api.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            if (incoming != null) {
                incoming.close();
            }
            metrics.close();
        }
    }
}
