package io.mtemigrate.host;

import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.migration.MutualTls;

import java.nio.file.Path;

/**
 * How a host runs: its name in messages, where guest memory goes, how it listens for migrations (with every limit
 * and the mutual TLS of a target), where its control API and metrics are served, and how it reaches other hosts.
 *
 * @param incoming    the embedded target, with the factory of arriving VMs; null to accept none
 * @param apiHost     the control API's address: loopback, or anything else only with {@code apiTls}
 * @param apiPort     0 picks a free port
 * @param apiTls      mutual TLS of the control API (clients need a certificate of the trusted CA); null for none
 * @param metricsHost the Prometheus endpoint's address; loopback unless the operator chooses otherwise
 * @param metricsPort 0 picks a free port; negative serves no metrics
 * @param outgoingTls mutual TLS for migrations this host sends; null for plain TCP (loopback or {@code insecure})
 * @param insecure    the operator accepts sending migrations beyond loopback without TLS
 */
public record HostConfig(String name, Path memoryDirectory, TargetConfig incoming, String apiHost, int apiPort,
                         MutualTls.Credentials apiTls, String metricsHost, int metricsPort, MutualTls outgoingTls,
                         boolean insecure) {
    public static final String LOOPBACK = "127.0.0.1";

    public HostConfig withName(String newName) {
        return new HostConfig(newName, memoryDirectory, incoming, apiHost, apiPort, apiTls, metricsHost, metricsPort, outgoingTls, insecure);
    }

    public HostConfig withApi(String host, int port, MutualTls.Credentials tls) {
        return new HostConfig(name, memoryDirectory, incoming, host, port, tls, metricsHost, metricsPort, outgoingTls, insecure);
    }

    public HostConfig withMetrics(String host, int port) {
        return new HostConfig(name, memoryDirectory, incoming, apiHost, apiPort, apiTls, host, port, outgoingTls, insecure);
    }

    public HostConfig withIncoming(TargetConfig target) {
        return new HostConfig(name, memoryDirectory, target, apiHost, apiPort, apiTls, metricsHost, metricsPort, outgoingTls, insecure);
    }

    public HostConfig withOutgoingTls(MutualTls tls, boolean acceptInsecure) {
        return new HostConfig(name, memoryDirectory, incoming, apiHost, apiPort, apiTls, metricsHost, metricsPort, tls, acceptInsecure);
    }

    /** Everything on loopback with free ports, no TLS; the caller gives the incoming target (or none). */
    public static HostConfig loopback(String name, Path memoryDirectory, TargetConfig incoming) {
        return new HostConfig(name, memoryDirectory, incoming, LOOPBACK, 0, null, LOOPBACK, 0, null, false);
    }
}
