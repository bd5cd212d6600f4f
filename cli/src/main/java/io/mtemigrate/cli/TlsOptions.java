package io.mtemigrate.cli;

import io.mtemigrate.migration.MutualTls;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** Mutual TLS files (source and target); `mte-migrate certs` makes a set for testing. */
final class TlsOptions {
    @Option(names = "--tls-keystore", paramLabel = "FILE",
            description = "PKCS#12 key store with this host's private key and certificate (e.g. target.p12 from 'certs').")
    Path keyStore;

    @Option(names = "--tls-truststore", paramLabel = "FILE",
            description = "PKCS#12 store with the CA certificate the peer's certificate must chain to (trust.p12).")
    Path trustStore;

    @Option(names = "--tls-password-file", paramLabel = "FILE",
            description = "File whose first line is the password of both stores (password).")
    Path passwordFile;

    @Option(names = "--insecure", description = "Allow an address other than loopback without TLS: anyone on the"
            + " network could read or push guest memory. Only for trusted, isolated networks.")
    boolean insecure;

    boolean enabled() {
        return keyStore != null || trustStore != null || passwordFile != null;
    }

    /** The credentials, or null without TLS; all three files or none. */
    MutualTls.Credentials load(CommandLine commandLine) {
        if (!enabled()) {
            return null;
        }
        if (keyStore == null || trustStore == null || passwordFile == null) {
            throw new CommandLine.ParameterException(commandLine, "TLS needs all three of --tls-keystore,"
                    + " --tls-truststore and --tls-password-file");
        }
        try {
            return MutualTls.load(keyStore, trustStore, passwordFile);
        } catch (MutualTls.TlsSetupException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    /** Refuses plain TCP beyond loopback unless --insecure; {@code what} names the option, e.g. "--listen 0.0.0.0:7777". */
    void requireAuthenticationBeyondLoopback(CommandLine commandLine, HostPort address, String what) {
        if (!enabled() && !insecure && !address.isLoopback()) {
            throw new CommandLine.ParameterException(commandLine, what + " is not a loopback address and no TLS is"
                    + " configured: anyone on the path could push or read a VM. Give --tls-keystore, --tls-truststore"
                    + " and --tls-password-file ('mte-migrate certs' makes a set), or --insecure on a trusted network.");
        }
    }

    /** The target's TLS, or null without. */
    MutualTls server(CommandLine commandLine, Duration handshakeTimeout) {
        MutualTls.Credentials credentials = load(commandLine);
        return credentials == null ? null : setUp(() -> credentials.server(handshakeTimeout));
    }

    /** The source's TLS, or null without. */
    MutualTls client(CommandLine commandLine) {
        MutualTls.Credentials credentials = load(commandLine);
        return credentials == null ? null : setUp(() -> credentials.client(Duration.ofSeconds(10)));
    }

    private static MutualTls setUp(java.util.function.Supplier<MutualTls> build) {
        try {
            return build.get();
        } catch (MutualTls.TlsSetupException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
