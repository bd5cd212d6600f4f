package io.mtemigrate.host;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.source.Destination;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Where this host may send a VM: another host's migration listener, over mutual TLS beyond loopback. */
final class Destinations {
    private final MutualTls tls;
    private final boolean insecure;

    /** @param tls null for plain TCP */
    Destinations(MutualTls tls, boolean insecure) {
        this.tls = tls;
        this.insecure = insecure;
    }

    /** @throws ApiException INVALID_ARGUMENT for an address that is not HOST:PORT, or beyond loopback without TLS */
    Destination to(String target) {
        InetSocketAddress address = parse(target);
        if (tls != null) {
            return Destination.target(address, tls);
        }
        if (!insecure && !address.getAddress().isLoopbackAddress()) {
            throw ApiException.invalid("target " + target + " is not a loopback address and this host sends"
                    + " migrations without TLS: start it with --tls-* files, or --insecure on a trusted network");
        }
        return Destination.target(address);
    }

    static InetSocketAddress parse(String target) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw ApiException.invalid("target '" + target + "' is not HOST:PORT");
        }
        String host = target.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw ApiException.invalid("target '" + target + "' has no port number");
        }
        if (port < 1 || port > 65535) {
            throw ApiException.invalid("target port " + port + " is not 1..65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw ApiException.invalid("target host '" + host + "' is unknown");
        }
    }
}
