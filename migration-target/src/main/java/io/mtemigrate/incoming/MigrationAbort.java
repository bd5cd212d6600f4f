package io.mtemigrate.incoming;

import io.mtemigrate.proto.ErrorCode;

/** Ends a migration on the target: the partial VM is discarded and the source is told {@link #code()} and why. */
final class MigrationAbort extends RuntimeException {
    private final ErrorCode code;

    MigrationAbort(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    MigrationAbort(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
