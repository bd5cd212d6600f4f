package io.mtemigrate.vmsim;

/** Stopping and continuing every vCPU of a VM, as a VMM does around a migration's final copy. */
public interface Pausable {
    /** Returns once every vCPU stopped between two steps and all its writes are visible to the caller. */
    void pauseVcpus();

    /** Continues every vCPU exactly where it paused. */
    void resumeVcpus();

    boolean vcpusPaused();
}
