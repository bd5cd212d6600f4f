package io.mtemigrate.vmsim.vmm;

/**
 * How far a guest program has come: the steps its vCPUs executed and the synchronous tag-check faults they took
 * (always 0 without MTE). Read from vCPU state, so the vCPUs must be paused or halted.
 */
public record GuestProgress(long steps, long tagCheckFaults) {
}
