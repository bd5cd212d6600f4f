package io.mtemigrate.source;

import io.mtemigrate.proto.ErrorCode;

/**
 * Why a migration step did not succeed; the message is meant for the user. Each kind fixes, when it is built, the
 * error code the target is told; {@link SourceMigration} adds the phase it happened in ({@link PhaseFailure}).
 * Built by the factory methods, never changed after.
 */
public abstract sealed class MigrationFailure extends Exception {
    private final ErrorCode code;

    private MigrationFailure(String message, Throwable cause, ErrorCode code) {
        super(message, cause);
        this.code = code;
    }

    /** A step failed: the target is told INTERNAL. */
    static MigrationFailure failed(String message) {
        return new Failed(message, null);
    }

    static MigrationFailure failed(String message, Throwable cause) {
        return new Failed(message, cause);
    }

    /** A deadline or a stall watch ran out. */
    static MigrationFailure timedOut(String message) {
        return new TimedOut(message);
    }

    /** The source's own full digest disagrees with the target's: the guest must stay here. */
    static MigrationFailure digestMismatch(String message) {
        return new DigestMismatch(message);
    }

    /** The target answered with an explicit Error: it has discarded its copy. */
    static MigrationFailure refusedByTarget(String message) {
        return new RefusedByTarget(message);
    }

    /** The target asked for something that makes no sense: talking to it again would not help. */
    static MigrationFailure badPeer(String message) {
        return new BadPeer(message);
    }

    /** The user cancelled, or the migration's thread was interrupted. */
    static MigrationFailure cancelled(String message) {
        return new Cancelled(message, null);
    }

    static MigrationFailure cancelled(String message, Throwable cause) {
        return new Cancelled(message, cause);
    }

    public boolean cancelled() {
        return this instanceof Cancelled;
    }

    /** The target answered with an explicit Error: it has discarded its copy. */
    boolean refusedByTarget() {
        return this instanceof RefusedByTarget;
    }

    /**
     * The connection failed or went silent, not the migration: after the switch to post-copy both sides wait for it
     * to be made again rather than lose the guest.
     */
    boolean linkLost() {
        return this instanceof Failed || this instanceof TimedOut;
    }

    /** The error code the target is told when the source gives up. */
    ErrorCode code() {
        return code;
    }

    static final class Failed extends MigrationFailure {
        private Failed(String message, Throwable cause) {
            super(message, cause, ErrorCode.ERROR_CODE_INTERNAL);
        }
    }

    static final class TimedOut extends MigrationFailure {
        private TimedOut(String message) {
            super(message, null, ErrorCode.ERROR_CODE_TIMEOUT);
        }
    }

    static final class DigestMismatch extends MigrationFailure {
        private DigestMismatch(String message) {
            super(message, null, ErrorCode.ERROR_CODE_DIGEST_MISMATCH);
        }
    }

    static final class RefusedByTarget extends MigrationFailure {
        private RefusedByTarget(String message) {
            super(message, null, ErrorCode.ERROR_CODE_INTERNAL);
        }
    }

    static final class BadPeer extends MigrationFailure {
        private BadPeer(String message) {
            super(message, null, ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION);
        }
    }

    static final class Cancelled extends MigrationFailure {
        private Cancelled(String message, Throwable cause) {
            super(message, cause, ErrorCode.ERROR_CODE_CANCELLED);
        }
    }
}
