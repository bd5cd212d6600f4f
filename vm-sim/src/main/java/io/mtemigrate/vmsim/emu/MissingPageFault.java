package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.uffd.GuestPageGate;

/**
 * A guest access reached a page registered with a userfaultfd and not installed yet. It unwinds the step, which
 * the vCPU takes back and re-runs after the page is in; it carries no stack trace, it is not an error.
 */
final class MissingPageFault extends RuntimeException {
    final GuestPageGate gate;
    final HostMemory memory;
    final long pageOffset;
    final long pageIpa;
    final boolean write;

    MissingPageFault(GuestPageGate gate, HostMemory memory, long pageOffset, long pageIpa, boolean write) {
        super(null, null, false, false);
        this.gate = gate;
        this.memory = memory;
        this.pageOffset = pageOffset;
        this.pageIpa = pageIpa;
        this.write = write;
    }
}
