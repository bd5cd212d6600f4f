package io.mtemigrate.incoming;

import io.mtemigrate.vmsim.machine.MachineLayout;

/** What a target host tells its owner about the migrations it receives. */
public interface TargetListener {
    /** The guest resumed on this host; the listener now owns {@code vm.machine()}. */
    void onResumed(ArrivedVm vm);

    /**
     * Called with the VM built and verified, just before its guest resumes; throwing refuses the migration (the
     * VM is discarded and the source resumes its copy).
     */
    default void beforeResume(MachineLayout layout) {
    }

    /** A migration was refused or aborted; its partial VM is already gone. */
    default void onFailed(String reason) {
    }

    /**
     * A connection was closed before it joined a migration: failed authentication, no Hello in time, or too many
     * connections. Nothing was received from it; it is not a failed migration.
     */
    default void onRefusedConnection(String peer, String reason) {
    }

    TargetListener CLOSE_ON_ARRIVAL = vm -> vm.machine().close();
}
