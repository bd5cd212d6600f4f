package io.mtemigrate.vmsim.vmm;

import java.util.List;

/** Saving every vCPU's state on one host and restoring it into a VM of the same layout on another. */
public interface Snapshottable {
    /** The state of every vCPU, in vCPU order; the vCPUs must be paused. */
    List<VcpuSnapshot> saveVcpus();

    /**
     * Restores every vCPU of a VM that has not started yet, so that it continues exactly where the saved one stopped.
     *
     * @throws IllegalArgumentException naming what does not fit: a missing vCPU, a state of another backend or
     *         architecture, MTE registers the VM does not have
     */
    void restoreVcpus(List<VcpuSnapshot> snapshots);
}
