package io.mtemigrate.vmsim.guest;

/**
 * A deterministic guest program. It keeps no state of its own: everything it needs between two steps is in the
 * vCPU's registers and in guest RAM, so a vCPU restored elsewhere continues it exactly.
 */
public interface GuestProgram {
    void step(GuestContext cpu);

    /** Roughly how many bytes one step writes, for pacing the guest to a dirty rate; 0 for programs that write nothing. */
    int bytesPerStep();
}
