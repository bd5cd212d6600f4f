package io.mtemigrate.cli;

import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/** HOST:PORT as typed on the command line. */
record HostPort(String host, int port) {
    private static final Pattern LOOPBACK_V4 = Pattern.compile("127(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}");

    /** An address to connect to: the port is 1..65535. */
    static HostPort parse(String text) {
        return parse(text, 1);
    }

    /** An address to listen on: port 0 asks for any free port. */
    static HostPort parseListen(String text) {
        return parse(text, 0);
    }

    private static HostPort parse(String text, int lowestPort) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no port number after the colon");
        }
        if (port < lowestPort || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (" + lowestPort + "..65535"
                    + (lowestPort == 0 ? ", 0 for any free port)" : ")"));
        }
        return new HostPort(host, port);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    /** Only names that cannot resolve elsewhere: localhost, a 127.x.x.x literal, ::1 (not 127.example.com). */
    boolean isLoopback() {
        return host.equalsIgnoreCase("localhost") || LOOPBACK_V4.matcher(host).matches() || host.equals("::1")
                || host.equals("0:0:0:0:0:0:0:1");
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
