package io.mtemigrate.vmsim;

/** Stopping and continuing every vCPU of a VM, as a VMM does around a migration's final copy. */
public interface Pausable {
    /**
     * Returns once every vCPU stopped between two steps and all its writes are visible to the caller. A KVM vCPU
     * stops only at its next exit to the VMM; both backends' guests exit regularly, a guest that never exits would
     * need a signal to kick it out of {@code KVM_RUN}, as QEMU sends.
     */
    void pauseVcpus();

    /** Continues every vCPU exactly where it paused. */
    void resumeVcpus();

    boolean vcpusPaused();
}
