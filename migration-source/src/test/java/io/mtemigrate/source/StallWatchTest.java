package io.mtemigrate.source;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StallWatchTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong fromTarget = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();

    private StallWatch watch(long timeoutNanos) {
        return new StallWatch(clock::get, written::get, fromTarget::get, waiting::get, timeoutNanos);
    }

    @Test
    void shouldFailAfterTheTimeoutWithoutProgressNamingWhatWaits() {
        StallWatch stall = watch(2 * SECOND);
        waiting.set(4096);
        clock.set(2 * SECOND);
        assertDoesNotThrow(stall::check);
        clock.set(2 * SECOND + 1);
        MigrationFailure failure = assertThrows(MigrationFailure.class, stall::check);
        assertTrue(failure.getMessage().contains("taken no data for 2 s") && failure.getMessage().contains("4096 bytes"),
                failure.getMessage());
    }

    @Test
    void shouldCountABytesLeavingOrASignFromTheTargetAsProgress() throws MigrationFailure {
        StallWatch stall = watch(2 * SECOND);
        clock.set(SECOND * 3 / 2);
        written.set(1);
        stall.check();
        clock.set(3 * SECOND);
        fromTarget.set(1);
        stall.check();
        clock.set(SECOND * 9 / 2);
        assertDoesNotThrow(stall::check);
        clock.set(5 * SECOND + 1);
        MigrationFailure failure = assertThrows(MigrationFailure.class, stall::check);
        assertTrue(failure.getMessage().contains("has not answered for 2 s"), failure.getMessage());
    }

    @Test
    void shouldNeverFailWithoutATimeout() {
        StallWatch stall = watch(0);
        clock.set(1000 * SECOND);
        assertDoesNotThrow(stall::check);
    }
}
