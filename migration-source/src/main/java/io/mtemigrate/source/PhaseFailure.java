package io.mtemigrate.source;

import io.mtemigrate.proto.ErrorCode;

/**
 * A migration that stopped: the phase it stopped in and why. Its {@link #message()} is what the report and the
 * target are told ("failed during stop-and-copy: the target closed channel 1").
 */
record PhaseFailure(Phase phase, MigrationFailure failure) {
    /** An unexpected exception, reported with its type as the reason. */
    static PhaseFailure unexpected(Phase phase, RuntimeException e) {
        return new PhaseFailure(phase, MigrationFailure.failed(e.toString(), e));
    }

    /** {@code completed}'s counterpart in the report: cancelled or failed. */
    String status() {
        return failure.cancelled() ? "cancelled" : "failed";
    }

    String message() {
        return status() + " during " + phase + ": " + failure.getMessage();
    }

    ErrorCode code() {
        return failure.code();
    }
}
