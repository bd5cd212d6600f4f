package io.mtemigrate.source;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and when a migration switches to post-copy (QEMU's postcopy-ram with migrate-start-postcopy): the guest
 * then runs on the target before all of its memory is there, and pages it touches are fetched on demand.
 *
 * @param when            the moment of the switch; {@link When#OFF} for pre-copy only
 * @param afterRounds     with {@link When#AFTER_ROUNDS}: the pre-copy rounds sent before the switch
 * @param recoveryTimeout after the switch, how long either side waits for lost connections to come back before it
 *                        gives the guest up
 */
public record Postcopy(When when, int afterRounds, Duration recoveryTimeout) {
    public enum When {
        /** Never: stop-and-copy, or fail when the rounds do not converge. */
        OFF,
        /**
         * At once, before any page is sent (pure post-copy): every page crosses the link exactly once, so the total
         * time is the link's for the guest's memory whatever the guest does, but every page the guest touches
         * before the push gets to it is a fault.
         */
        START,
        /** Right after the first pass: no throttling, the fewest bytes on the wire, the longest post-copy phase. */
        FIRST_PASS,
        /** After {@code afterRounds} pre-copy rounds, when they did not converge by then. */
        AFTER_ROUNDS,
        /** When pre-copy gives up (the rounds or the timeout ran out): a last resort after auto-converge. */
        WHEN_STUCK,
        /** Only when asked while the migration runs ({@link LiveLimits#startPostcopy}). */
        ON_REQUEST
    }

    public static final Duration DEFAULT_RECOVERY_TIMEOUT = Duration.ofMinutes(5);

    public Postcopy {
        Objects.requireNonNull(when, "when");
        Objects.requireNonNull(recoveryTimeout, "recoveryTimeout");
        if (when == When.AFTER_ROUNDS && afterRounds < 1) {
            throw new IllegalArgumentException("post-copy after rounds needs at least 1 round, not " + afterRounds);
        }
        if (recoveryTimeout.isNegative() || recoveryTimeout.isZero()) {
            throw new IllegalArgumentException("the post-copy recovery timeout must be positive");
        }
    }

    public static Postcopy off() {
        return new Postcopy(When.OFF, 0, DEFAULT_RECOVERY_TIMEOUT);
    }

    public static Postcopy of(When when) {
        return new Postcopy(when, 0, DEFAULT_RECOVERY_TIMEOUT);
    }

    public static Postcopy afterRounds(int rounds) {
        return new Postcopy(When.AFTER_ROUNDS, rounds, DEFAULT_RECOVERY_TIMEOUT);
    }

    public Postcopy withRecoveryTimeout(Duration timeout) {
        return new Postcopy(when, afterRounds, timeout);
    }

    /** Whether the migration prepares for a switch: the post-copy channel is opened and the target must offer it. */
    public boolean armed() {
        return when != When.OFF;
    }
}
