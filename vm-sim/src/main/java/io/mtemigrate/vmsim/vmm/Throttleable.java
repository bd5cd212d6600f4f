package io.mtemigrate.vmsim.vmm;

/** Auto-converge: slowing the vCPUs down so that a migration can catch up with the pages they dirty. */
public interface Throttleable {
    /** Lets the vCPUs run {@code 100 - percent} % of the time; 0 runs them flat out. */
    void setThrottle(int percent);

    int throttle();
}
