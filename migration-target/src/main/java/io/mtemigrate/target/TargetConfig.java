package io.mtemigrate.target;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a target host listens and what it accepts.
 *
 * @param host                   address to bind; loopback unless the user asks otherwise
 * @param port                   0 picks a free port
 * @param maxRamBytes            largest VM accepted; 0 for no limit
 * @param hostHasMte             whether this host's KVM offers MTE
 * @param verifyFullBeforeResume also compute a full RAM+tags digest before resuming (costs downtime)
 * @param idleTimeout            a migration whose source sends nothing for this long is discarded
 * @param preallocBytes          guest memory to commit when the server starts, for the next VM that fits (0: none)
 * @param preallocPageSize       the page size that memory is for
 * @param tls                    mutual TLS for every connection; null for none (loopback or {@code insecure} only)
 * @param insecure               the operator accepts listening beyond loopback without authentication
 * @param maxMigrations          migrations received at once; more are refused as busy
 * @param handshakeTimeout       a connection that has not finished TLS and said Hello by then is closed
 * @param memoryDirectory        where guest memory files go (a tmpfs); its free space bounds the VMs accepted
 */
public record TargetConfig(String host, int port, long maxRamBytes, boolean hostHasMte,
                           boolean verifyFullBeforeResume, Duration idleTimeout, long preallocBytes,
                           PageSize preallocPageSize, MutualTls tls, boolean insecure, int maxMigrations,
                           Duration handshakeTimeout, Path memoryDirectory) {
    public static final String LOOPBACK = "127.0.0.1";

    public TargetConfig {
        if (maxMigrations < 1) {
            throw new IllegalArgumentException("at least one migration at a time, not " + maxMigrations);
        }
    }

    public static TargetConfig loopback() {
        return new TargetConfig(LOOPBACK, 0, 0, true, false, Duration.ofSeconds(30), 0, PageSize.SIZE_4K, null,
                false, 4, Duration.ofSeconds(10), HostMemory.defaultDirectory());
    }

    /** Connections the server holds at once: every channel of every allowed migration, plus room for handshakes. */
    public int maxConnections() {
        return maxMigrations * 16 + 16;
    }

    /** Null when this configuration may listen; otherwise why not. */
    String refusalToListen() {
        if (tls != null || insecure) {
            return null;
        }
        try {
            if (InetAddress.getByName(host).isLoopbackAddress()) {
                return null;
            }
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        }
        return host + " is not a loopback address and no authentication is configured: anyone who reaches it could"
                + " push a VM in. Configure mutual TLS, or accept that explicitly (insecure) on a trusted network";
    }

    public TargetConfig withPort(int newPort) {
        return new TargetConfig(host, newPort, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withHost(String newHost) {
        return new TargetConfig(newHost, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withMaxRam(long bytes) {
        return new TargetConfig(host, port, bytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withHostMte(boolean mte) {
        return new TargetConfig(host, port, maxRamBytes, mte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withVerifyFull(boolean verify) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verify, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withIdleTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, timeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    /** Commits {@code bytes} of guest memory for {@code pageSize} pages at start, like QEMU's -mem-prealloc. */
    public TargetConfig withPrealloc(long bytes, PageSize pageSize) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, bytes, pageSize, tls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withTls(MutualTls serverTls) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, serverTls, insecure, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withInsecure(boolean accept) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, accept, maxMigrations, handshakeTimeout, memoryDirectory);
    }

    public TargetConfig withMaxMigrations(int migrations) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, migrations, handshakeTimeout, memoryDirectory);
    }

    /** Guest memory files in {@code directory} instead of {@code /dev/shm}. */
    public TargetConfig withMemoryDirectory(Path directory) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, handshakeTimeout, directory);
    }

    public TargetConfig withHandshakeTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize, tls, insecure, maxMigrations, timeout, memoryDirectory);
    }
}
