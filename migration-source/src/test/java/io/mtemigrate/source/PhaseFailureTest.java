package io.mtemigrate.source;

import io.mtemigrate.proto.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each kind of failure fixes its code when it is built; the phase is named in the words users and tests read. */
class PhaseFailureTest {
    @Test
    void shouldNameThePhaseAndTheReason() {
        PhaseFailure stopped = new PhaseFailure(Phase.AWAIT_ACK, MigrationFailure.failed("the target closed channel 1"));
        assertEquals("failed during waiting for the target's acknowledgement: the target closed channel 1",
                stopped.message());
        assertEquals("failed", stopped.status());
        assertEquals(ErrorCode.ERROR_CODE_INTERNAL, stopped.code());
    }

    @Test
    void shouldTellTheTargetACancellationAsCancelled() {
        PhaseFailure stopped = new PhaseFailure(Phase.ROUNDS, MigrationFailure.cancelled("the migration was cancelled"));
        assertEquals("cancelled during pre-copy rounds: the migration was cancelled", stopped.message());
        assertEquals("cancelled", stopped.status());
        assertEquals(ErrorCode.ERROR_CODE_CANCELLED, stopped.code());
    }

    @Test
    void shouldFixTheCodeOfEachKind() {
        assertEquals(ErrorCode.ERROR_CODE_TIMEOUT, MigrationFailure.timedOut("late").code());
        assertEquals(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, MigrationFailure.digestMismatch("differs").code());
        assertTrue(MigrationFailure.refusedByTarget("no").refusedByTarget());
        assertFalse(MigrationFailure.failed("the target refused: BUSY").refusedByTarget(),
                "only an Error the target sent in answer counts as its refusal");
        IOException cause = new IOException("Broken pipe");
        assertSame(cause, MigrationFailure.failed("the target closed channel 0", cause).getCause());
    }

    @Test
    void shouldReportAnUnexpectedExceptionWithItsType() {
        PhaseFailure stopped = PhaseFailure.unexpected(Phase.FIRST_PASS, new IllegalStateException("boom"));
        assertEquals("failed during first pass: java.lang.IllegalStateException: boom", stopped.message());
    }
}
