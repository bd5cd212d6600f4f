package io.mtemigrate.source;

/** Why a migration did not complete, with the phase it stopped in; the message is meant for the user. */
public final class MigrationFailure extends Exception {
    private final boolean cancelled;

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
}
