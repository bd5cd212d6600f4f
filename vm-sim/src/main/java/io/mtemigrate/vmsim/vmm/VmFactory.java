package io.mtemigrate.vmsim.vmm;

import io.mtemigrate.vmsim.machine.MachineLayout;

import java.util.Optional;

/** Builds empty VMs on a migration target, from the layout the source sent. */
public interface VmFactory {
    /** The kind of VM this factory builds; sources of another kind are refused. */
    GuestKind kind();

    /** Whether this host can run MTE guests. */
    boolean hostHasMte();

    /**
     * Whether the VMs it builds can run before their memory has arrived ({@link MigratableVm#openArrivingRam}): what
     * a post-copy needs.
     */
    default boolean supportsPostcopy() {
        return false;
    }

    /**
     * An empty VM of {@code layout}: zeroed memory and vCPUs at reset, not started.
     *
     * @throws io.mtemigrate.vmsim.InsufficientMemory when the host cannot back the VM's memory
     * @throws IllegalArgumentException naming what of the layout this host cannot build
     */
    MigratableVm create(MachineLayout layout);

    /**
     * Like {@link #create}, for a migration that may switch to post-copy: its pages are installed into holes, so
     * memory committed ahead would only have to be given back (in the downtime) before the guest could run.
     */
    default MigratableVm createForPostcopy(MachineLayout layout) {
        return create(layout);
    }

    /**
     * When {@code failure} is the host failing to back guest memory (SIGBUS or EFAULT on a full memory file), what
     * to tell the user; otherwise empty.
     */
    Optional<String> explainMemoryFault(Throwable failure);

    /** Gives back memory held for future VMs. */
    default void close() {
    }
}
