package io.mtemigrate.vmsim;

/** A vCPU file descriptor: its id, features and registers. */
public interface KvmVcpu {
    int id();

    VcpuFeatures features();

    /** All registers; MTE system registers only when MTE is on. */
    VcpuState getState();

    /**
     * Sets all registers. Refused with EBUSY while the vCPU runs, and with ENOENT when the state carries MTE system
     * registers the VM does not have; a {@code null} {@code mte} on an MTE VM leaves those registers as they are.
     */
    void setState(VcpuState state);
}
