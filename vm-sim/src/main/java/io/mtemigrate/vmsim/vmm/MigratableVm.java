package io.mtemigrate.vmsim.vmm;

import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.Pausable;
import io.mtemigrate.vmsim.machine.MachineLayout;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A VM the migration engine can move, whichever backend runs it. It owns its guest memory. */
public interface MigratableVm extends Pausable, Snapshottable, DirtyTracker, Throttleable, AutoCloseable {
    /** The shape a target must rebuild, with the backend and architecture that run it. */
    MachineLayout layout();

    /** Guest RAM, in the layout's slot order. */
    List<RamSlot> ramSlots();

    /** {@code KVM_ARM_MTE_COPY_TAGS} when the VM has MTE; empty otherwise, and then no tags travel. */
    Optional<MteTagCopier> tags();

    /**
     * Opens this VM's RAM for post-copy: pages it is told to expect stay missing until installed. Empty when the
     * backend cannot run a guest before its memory arrives (it needs a userfaultfd that installs tags with a page).
     * Once per VM, before {@link #start}.
     */
    default Optional<ArrivingRam> openArrivingRam() {
        return Optional.empty();
    }

    /** Starts the vCPUs, or continues them after {@link #restoreVcpus}. */
    void start();

    /**
     * Waits until every vCPU has stopped for good: reached its step budget, or failed ({@link #vcpuFailure()} says
     * which); false on timeout.
     */
    boolean awaitHalted(Duration timeout) throws InterruptedException;

    GuestProgress progress();

    /** The first error a vCPU stopped with, or null; the other vCPUs run on. */
    Throwable vcpuFailure();

    /** Stops the vCPUs for good and gives the guest memory back to the host. */
    @Override
    void close();
}
