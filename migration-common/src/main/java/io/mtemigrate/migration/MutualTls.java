package io.mtemigrate.migration;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Collections;
import java.util.List;
import java.time.Duration;

/**
 * Mutual TLS for migration channels: each side presents its own certificate and accepts only a peer whose
 * certificate chains to the trusted CA, so neither a stranger's source nor a stranger's target gets a page. The
 * source also checks that the target's certificate names the address it dialled, which stops a man in the middle
 * holding some other certificate from the same CA. TLS 1.3 only; the JDK provider, so nothing native is needed.
 */
public final class MutualTls {
    private static final List<String> PROTOCOLS = List.of("TLSv1.3");

    private final SslContext context;
    private final boolean client;
    private final Duration handshakeTimeout;

    private MutualTls(SslContext context, boolean client, Duration handshakeTimeout) {
        this.context = context;
        this.client = client;
        this.handshakeTimeout = handshakeTimeout;
    }

    /** The target's side: requires a client certificate. */
    public static MutualTls server(KeyStore identity, char[] password, KeyStore trusted, Duration handshakeTimeout) {
        try {
            SslContext context = SslContextBuilder.forServer(keyManagers(identity, password))
                    .trustManager(trustManagers(trusted)).clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(SslProvider.JDK).protocols(PROTOCOLS).build();
            return new MutualTls(context, false, handshakeTimeout);
        } catch (SSLException e) {
            throw new TlsSetupException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** The source's side: presents its certificate and verifies the target's name. */
    public static MutualTls client(KeyStore identity, char[] password, KeyStore trusted, Duration handshakeTimeout) {
        try {
            SslContext context = SslContextBuilder.forClient().keyManager(keyManagers(identity, password))
                    .trustManager(trustManagers(trusted)).endpointIdentificationAlgorithm("HTTPS")
                    .sslProvider(SslProvider.JDK).protocols(PROTOCOLS).build();
            return new MutualTls(context, true, handshakeTimeout);
        } catch (SSLException e) {
            throw new TlsSetupException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Reads a PKCS#12 key store and its password file (the first line), naming the file on any problem. */
    public static Credentials load(Path keyStore, Path trustStore, Path passwordFile) {
        char[] password = readPassword(passwordFile);
        return new Credentials(read(keyStore, password, true), read(trustStore, password, false), password);
    }

    /** The handler that goes first in a channel's pipeline; {@code host} is the name or address the source dialled. */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        // The client context checks the target's name (endpointIdentificationAlgorithm) against this host.
        SslHandler handler = client ? context.newHandler(alloc, host, port) : context.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return handler;
    }

    /** A key store with this host's key and certificate chain, the trusted CAs, and the password of both. */
    public record Credentials(KeyStore identity, KeyStore trusted, char[] password) {
        public MutualTls server(Duration handshakeTimeout) {
            return MutualTls.server(identity, password, trusted, handshakeTimeout);
        }

        public MutualTls client(Duration handshakeTimeout) {
            return MutualTls.client(identity, password, trusted, handshakeTimeout);
        }
    }

    private static KeyManagerFactory keyManagers(KeyStore identity, char[] password) {
        try {
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(identity, password);
            return factory;
        } catch (UnrecoverableKeyException e) {
            throw new TlsSetupException("the private key cannot be read with the given password", e);
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException("the key store is unusable: " + e.getMessage(), e);
        }
    }

    private static TrustManagerFactory trustManagers(KeyStore trusted) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            return factory;
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException("the trust store is unusable: " + e.getMessage(), e);
        }
    }

    private static char[] readPassword(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.getFirst().isEmpty()) {
                throw new TlsSetupException("the password file " + file + " is empty");
            }
            return lines.getFirst().toCharArray();
        } catch (NoSuchFileException e) {
            throw new TlsSetupException("the password file " + file + " does not exist");
        } catch (IOException e) {
            throw new TlsSetupException("cannot read the password file " + file + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore read(Path file, char[] password, boolean needsKey) {
        KeyStore store;
        try (InputStream in = Files.newInputStream(file)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(file + " does not exist");
        } catch (IOException e) {
            // PKCS#12 reports a wrong password as an IOException whose cause is UnrecoverableKeyException.
            String why = e.getCause() instanceof UnrecoverableKeyException ? "wrong password" : e.getMessage();
            throw new TlsSetupException("cannot read " + file + " as a PKCS#12 key store: " + why, e);
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            boolean hasKey = false;
            boolean hasCertificate = false;
            for (String alias : Collections.list(store.aliases())) {
                hasKey |= store.isKeyEntry(alias);
                hasCertificate |= store.isCertificateEntry(alias) || store.getCertificate(alias) != null;
            }
            if (needsKey && !hasKey) {
                throw new TlsSetupException(file + " holds no private key: give this host's key store, not the CA's certificate");
            }
            if (!needsKey && !hasCertificate) {
                throw new TlsSetupException(file + " holds no certificate to trust");
            }
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return store;
    }

    /** A TLS file or setting that cannot be used; the message names the file and the problem. */
    public static final class TlsSetupException extends RuntimeException {
        TlsSetupException(String message) {
            super(message);
        }

        TlsSetupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
