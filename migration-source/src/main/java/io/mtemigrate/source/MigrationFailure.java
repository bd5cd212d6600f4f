package io.mtemigrate.source;

/** Why a migration did not complete, with the phase it stopped in; the message is meant for the user. */
public final class MigrationFailure extends Exception {
    private final boolean cancelled;
    private boolean refusedByTarget;

    MigrationFailure(String message, boolean cancelled, Throwable cause) {
        super(message, cause);
        this.cancelled = cancelled;
    }

    MigrationFailure(String message) {
        this(message, false, null);
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** The target answered with an explicit Error: it has discarded its copy. */
    boolean refusedByTarget() {
        return refusedByTarget;
    }

    MigrationFailure refusedByTarget(boolean refused) {
        this.refusedByTarget = refused;
        return this;
    }
}
