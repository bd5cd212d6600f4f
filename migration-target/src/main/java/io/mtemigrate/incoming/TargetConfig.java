package io.mtemigrate.incoming;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.vmsim.vmm.VmFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How a target host listens and what it accepts.
 *
 * @param host                   address to bind; loopback unless the user asks otherwise
 * @param port                   0 picks a free port
 * @param maxRamBytes            largest VM accepted; 0 for no limit
 * @param verifyFullBeforeResume also compute a full RAM+tags digest before resuming (costs downtime)
 * @param idleTimeout            a migration whose source sends nothing for this long is discarded
 * @param tls                    mutual TLS for every connection; null for none (loopback or {@code insecure} only)
 * @param insecure               the operator accepts listening beyond loopback without authentication
 * @param maxMigrations          migrations received at once; more are refused as busy
 * @param handshakeTimeout       a connection that has not finished TLS and said Hello by then is closed
 * @param vms                    builds the arriving VMs: the backend, whether the host has MTE, where guest memory
 *                               goes and what is committed ahead; the server closes it when it stops
 * @param releaseTimeout         a guest resumed here whose source sends no Release for this long after the Ack is
 *                               discarded (the source, told so, resumes its copy); zero waits for ever
 * @param nanoClock              the clock every timeout is decided by ({@code System::nanoTime} but in tests)
 * @param recoveryTimeout        after a switch to post-copy, how long a guest whose source went away waits (its
 *                               faulting vCPUs blocked) for the source to reconnect before it is stopped and discarded
 */
public record TargetConfig(String host, int port, long maxRamBytes, boolean verifyFullBeforeResume,
                           Duration idleTimeout, MutualTls tls, boolean insecure, int maxMigrations,
                           Duration handshakeTimeout, VmFactory vms, Duration releaseTimeout,
                           LongSupplier nanoClock, Duration recoveryTimeout) {
    public static final String LOOPBACK = "127.0.0.1";

    public TargetConfig {
        if (maxMigrations < 1) {
            throw new IllegalArgumentException("at least one migration at a time, not " + maxMigrations);
        }
    }

    /** Loopback, no limits but the defaults; the VM backend must still be given ({@link #withVms}). */
    public static TargetConfig loopback() {
        // The source reads all its paused memory between the Ack and the Release: minutes leave room for large VMs.
        return new TargetConfig(LOOPBACK, 0, 0, false, Duration.ofSeconds(30), null, false, 4, Duration.ofSeconds(10),
                null, Duration.ofMinutes(5), System::nanoTime, Duration.ofMinutes(5));
    }

    /** Connections the server holds at once: every channel of every allowed migration, plus room for handshakes. */
    public int maxConnections() {
        return maxMigrations * 16 + 16;
    }

    /** Null when this configuration may listen; otherwise why not. */
    String refusalToListen() {
        if (vms == null) {
            return "no VM backend is configured to build arriving VMs";
        }
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
        return new TargetConfig(host, newPort, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withHost(String newHost) {
        return new TargetConfig(newHost, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withMaxRam(long bytes) {
        return new TargetConfig(host, port, bytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withVerifyFull(boolean verify) {
        return new TargetConfig(host, port, maxRamBytes, verify, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withIdleTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, timeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withTls(MutualTls serverTls) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, serverTls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withInsecure(boolean accept) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, accept, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withMaxMigrations(int migrations) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, migrations, handshakeTimeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withHandshakeTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, timeout, vms, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withVms(VmFactory factory) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, factory, releaseTimeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withReleaseTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, timeout, nanoClock, recoveryTimeout);
    }

    public TargetConfig withNanoClock(LongSupplier clock) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, clock, recoveryTimeout);
    }

    public TargetConfig withRecoveryTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, verifyFullBeforeResume, idleTimeout, tls, insecure, maxMigrations, handshakeTimeout, vms, releaseTimeout, nanoClock, timeout);
    }
}
