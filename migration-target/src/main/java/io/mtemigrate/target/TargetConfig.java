package io.mtemigrate.target;

import io.mtemigrate.vmsim.PageSize;

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
 */
public record TargetConfig(String host, int port, long maxRamBytes, boolean hostHasMte,
                           boolean verifyFullBeforeResume, Duration idleTimeout, long preallocBytes,
                           PageSize preallocPageSize) {
    public static final String LOOPBACK = "127.0.0.1";

    public static TargetConfig loopback() {
        return new TargetConfig(LOOPBACK, 0, 0, true, false, Duration.ofSeconds(30), 0, PageSize.SIZE_4K);
    }

    public TargetConfig withPort(int newPort) {
        return new TargetConfig(host, newPort, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize);
    }

    public TargetConfig withHost(String newHost) {
        return new TargetConfig(newHost, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize);
    }

    public TargetConfig withMaxRam(long bytes) {
        return new TargetConfig(host, port, bytes, hostHasMte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize);
    }

    public TargetConfig withHostMte(boolean mte) {
        return new TargetConfig(host, port, maxRamBytes, mte, verifyFullBeforeResume, idleTimeout, preallocBytes, preallocPageSize);
    }

    public TargetConfig withVerifyFull(boolean verify) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verify, idleTimeout, preallocBytes, preallocPageSize);
    }

    public TargetConfig withIdleTimeout(Duration timeout) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, timeout, preallocBytes, preallocPageSize);
    }

    /** Commits {@code bytes} of guest memory for {@code pageSize} pages at start, like QEMU's -mem-prealloc. */
    public TargetConfig withPrealloc(long bytes, PageSize pageSize) {
        return new TargetConfig(host, port, maxRamBytes, hostHasMte, verifyFullBeforeResume, idleTimeout, bytes, pageSize);
    }
}
