package io.mtemigrate.incoming;

import io.mtemigrate.vmsim.vmm.MigratableVm;

/**
 * A guest that migrated in and that the source has released: it runs here now, and whoever receives it owns the
 * machine and closes it.
 *
 * @param downtimeStartNanos when the target saw Complete (this host's clock), for its own downtime estimate
 */
public record ArrivedVm(MigratableVm machine, long targetDigest, long vcpuDigest, long pagesApplied, long rounds,
                        long downtimeStartNanos) {
}
