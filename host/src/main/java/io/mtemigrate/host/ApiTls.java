package io.mtemigrate.host;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.mtemigrate.migration.MutualTls;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.security.GeneralSecurityException;

/** The control API's mutual TLS, from the same `certs` files as the migrations': each side proves who it is. */
public final class ApiTls {
    private ApiTls() {
    }

    static ServerCredentials server(MutualTls.Credentials credentials) {
        try {
            return TlsServerCredentials.newBuilder().keyManager(keys(credentials).getKeyManagers())
                    .trustManager(trust(credentials).getTrustManagers())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the API's TLS: " + e.getMessage(), e);
        }
    }

    /** A client's credentials; plain TCP when {@code credentials} is null. */
    public static ChannelCredentials client(MutualTls.Credentials credentials) {
        if (credentials == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder().keyManager(keys(credentials).getKeyManagers())
                    .trustManager(trust(credentials).getTrustManagers()).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the API's TLS: " + e.getMessage(), e);
        }
    }

    private static KeyManagerFactory keys(MutualTls.Credentials credentials) throws GeneralSecurityException {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(credentials.identity(), credentials.password());
        return keys;
    }

    private static TrustManagerFactory trust(MutualTls.Credentials credentials) throws GeneralSecurityException {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(credentials.trusted());
        return trust;
    }
}
