package io.mtemigrate.host;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.HostGrpc;

import java.util.concurrent.TimeUnit;

/** A connection to a host's control API, for the `vm` commands and for tests. */
public final class HostClient implements AutoCloseable {
    private final ManagedChannel channel;

    /** @param tls null for plain TCP, which a host serves only on loopback */
    public HostClient(String host, int port, MutualTls.Credentials tls) {
        this.channel = Grpc.newChannelBuilderForAddress(host, port, ApiTls.client(tls)).build();
    }

    public HostGrpc.HostBlockingStub blocking() {
        return HostGrpc.newBlockingStub(channel);
    }

    public HostGrpc.HostStub async() {
        return HostGrpc.newStub(channel);
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
