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

    /** {@code what} came when {@code state} does not take it. */
    static MigrationAbort outOfOrder(String what, ReceiverState state) {
        return new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, what + " is not accepted in state "
                + state.name());
    }

    ErrorCode code() {
        return code;
    }
}
