package io.mtemigrate.host;

import io.mtemigrate.source.Postcopy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one syntax of a post-copy moment, shared by --postcopy=WHEN and MigrationOptions.postcopy. */
class PostcopyPlansTest {
    @ParameterizedTest
    @CsvSource({"start, START, 0", "first-pass, FIRST_PASS, 0", "when-stuck, WHEN_STUCK, 0", "on-request, ON_REQUEST, 0",
            "rounds:1, AFTER_ROUNDS, 1", "rounds:12, AFTER_ROUNDS, 12", "' First-Pass ', FIRST_PASS, 0"})
    void shouldReadEachMoment(String words, Postcopy.When when, int rounds) {
        Postcopy plan = PostcopyPlans.parse(words);
        assertEquals(when, plan.when());
        assertEquals(rounds, plan.afterRounds());
        assertEquals(Postcopy.DEFAULT_RECOVERY_TIMEOUT, plan.recoveryTimeout());
    }

    @ParameterizedTest
    @ValueSource(strings = {"start", "first-pass", "when-stuck", "on-request", "rounds:3"})
    void shouldWriteWhatItReadsBack(String words) {
        assertEquals(words, PostcopyPlans.format(PostcopyPlans.parse(words)));
    }

    @Test
    void shouldWriteNothingForPreCopyOnly() {
        assertEquals("", PostcopyPlans.format(Postcopy.off()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "sometimes | 'sometimes' is not a moment to switch to post-copy",
            "off | 'off' is not a moment",
            "'' | '' is not a moment",
            "rounds | 'rounds' is not a moment",
            "rounds: | must be a whole number, not ''",
            "rounds:two | must be a whole number, not 'two'",
            "rounds:99999999999 | must be a whole number",
            "rounds:0 | at least 1 round before the switch",
            "rounds:-2 | at least 1 round before the switch"})
    void shouldRefuseWhatItCannotReadNamingWhatItAccepts(String words, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PostcopyPlans.parse(words));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected " + PostcopyPlans.ACCEPTED), e.getMessage());
    }

    @Test
    void shouldRefuseASwitchAfterMoreRoundsThanPreCopyRuns() {
        assertDoesNotThrow(() -> PostcopyPlans.requireReachable(Postcopy.afterRounds(30), 30, "max_rounds"));
        assertDoesNotThrow(() -> PostcopyPlans.requireReachable(Postcopy.of(Postcopy.When.WHEN_STUCK), 1, "max_rounds"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PostcopyPlans.requireReachable(Postcopy.afterRounds(31), 30, "--max-rounds"));
        assertEquals("rounds:31 would never switch: pre-copy gives up after 30 rounds (--max-rounds); raise it or"
                + " switch sooner", e.getMessage());
    }
}
