package io.mtemigrate.source;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The convergence decisions, driven by a clock the test sets. */
class ConvergencePolicyTest {
    private static final long MB = 1_000_000;
    private long now;
    private final MigrationConfig config = MigrationConfig.defaults().withClock(() -> now)
            .withDowntimeLimit(Duration.ofMillis(50)).withMaxRounds(10).withTimeout(Duration.ofSeconds(60));

    @Test
    void shouldStopAndCopyWhenTheRestFitsTheDowntimeLimit() {
        ConvergencePolicy policy = new ConvergencePolicy(config, now);
        // 4 MB at 100 MB/s is 40 ms.
        ConvergencePolicy.Decision decision = policy.decide(1, 4 * MB, 100 * MB, now);
        assertEquals(new ConvergencePolicy.StopAndCopy(40), decision);
    }

    @Test
    void shouldStopAndCopyOnceTheLiveDowntimeLimitIsRaised() {
        LiveLimits limits = LiveLimits.of(config);
        ConvergencePolicy policy = new ConvergencePolicy(config, limits, now);
        assertInstanceOf(ConvergencePolicy.Continue.class, policy.decide(1, 10 * MB, 100 * MB, now));
        limits.setDowntimeLimit(Duration.ofMillis(100));
        assertEquals(new ConvergencePolicy.StopAndCopy(100), policy.decide(2, 10 * MB, 100 * MB, now));
    }

    @Test
    void shouldRefuseALiveLimitNoMigrationCanHave() {
        LiveLimits limits = LiveLimits.of(config);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> limits.setDowntimeLimit(Duration.ZERO));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> limits.setMaxBandwidth(-1));
        assertEquals(Duration.ofMillis(50), limits.downtimeLimit());
        assertEquals(0, limits.maxBandwidth());
    }

    @Test
    void shouldStopAndCopyAtOnceWhenNothingIsDirty() {
        assertInstanceOf(ConvergencePolicy.StopAndCopy.class, new ConvergencePolicy(config, now).decide(1, 0, 0, now));
    }

    @Test
    void shouldContinueWithoutThrottleInTheFirstRoundThenThrottleFromTwentyPercentByTen() {
        ConvergencePolicy policy = new ConvergencePolicy(config, now);
        assertEquals(new ConvergencePolicy.Continue(0, 100), policy.decide(1, 10 * MB, 100 * MB, now));
        assertEquals(20, ((ConvergencePolicy.Continue) policy.decide(2, 10 * MB, 100 * MB, now)).throttle());
        assertEquals(30, ((ConvergencePolicy.Continue) policy.decide(3, 10 * MB, 100 * MB, now)).throttle());
        for (int round = 4; round <= 10; round++) {
            policy.decide(round, 10 * MB, 100 * MB, now);
        }
        assertEquals(99, policy.throttle(), "the throttle stops at 99 %");
    }

    @Test
    void shouldNeverThrottleWithAutoConvergeOff() {
        ConvergencePolicy policy = new ConvergencePolicy(config.withAutoConverge(false), now);
        for (int round = 1; round <= 5; round++) {
            assertEquals(0, ((ConvergencePolicy.Continue) policy.decide(round, 10 * MB, 100 * MB, now)).throttle());
        }
    }

    @Test
    void shouldGiveUpAfterTheMaximumRoundsSayingWhatDidNotFit() {
        ConvergencePolicy policy = new ConvergencePolicy(config, now);
        ConvergencePolicy.Decision decision = policy.decide(11, 10 * MB, 100 * MB, now);
        ConvergencePolicy.GiveUp giveUp = assertInstanceOf(ConvergencePolicy.GiveUp.class, decision);
        assertTrue(giveUp.reason().contains("did not converge in 10 rounds"), giveUp.reason());
        assertTrue(giveUp.reason().contains("100 ms"), giveUp.reason());
    }

    @Test
    void shouldGiveUpWhenTheTimeoutPasses() {
        ConvergencePolicy policy = new ConvergencePolicy(config, now);
        now += Duration.ofSeconds(61).toNanos();
        ConvergencePolicy.GiveUp giveUp = assertInstanceOf(ConvergencePolicy.GiveUp.class,
                policy.decide(2, 10 * MB, 100 * MB, now));
        assertTrue(giveUp.reason().contains("60 s"), giveUp.reason());
    }

    @Test
    void shouldTreatAnUnmeasuredBandwidthAsNotFitting() {
        assertEquals(Long.MAX_VALUE, ConvergencePolicy.expectedDowntimeMs(1, 0));
    }
}
