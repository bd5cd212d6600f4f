package io.mtemigrate.source;

import io.mtemigrate.proto.ErrorCode;

/** Why a migration did not complete, with the phase it stopped in; the message is meant for the user. */
public final class MigrationFailure extends Exception {
    private final boolean cancelled;
    private boolean refusedByTarget;
    private ErrorCode code = ErrorCode.ERROR_CODE_INTERNAL;

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

    /** The error code the target is told when the source gives up (CANCELLED for a cancellation). */
    ErrorCode code() {
        return cancelled ? ErrorCode.ERROR_CODE_CANCELLED : code;
    }

    MigrationFailure withCode(ErrorCode errorCode) {
        this.code = errorCode;
        return this;
    }

    MigrationFailure refusedByTarget(boolean refused) {
        this.refusedByTarget = refused;
        return this;
    }
}
