package io.mtemigrate.incoming;

import io.mtemigrate.proto.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handshake, idle and release timeouts, decided against a clock the tests advance: nothing sleeps. */
class ReceiverTimeoutsTest {
    private static final Duration NANO = Duration.ofNanos(1);

    private long now = 5_000_000_000L;

    @Test
    void shouldRefuseAConnectionWithNoHelloWithinTheHandshakeTimeout() {
        Watchdog watchdog = new Watchdog(() -> now, Duration.ofMillis(500), Duration.ofSeconds(30));
        now += Duration.ofMillis(500).minus(NANO).toNanos();
        assertTrue(watchdog.beforeHello().isEmpty(), "not yet");
        now += 1;
        Watchdog.Refusal refusal = watchdog.beforeHello().orElseThrow();
        assertEquals("no Hello within 500 ms", refusal.reason());
        assertFalse(refusal.tellPeer(), "a peer that never said Hello is only closed");
    }

    @Test
    void shouldTellASilentPeerBeforeTheHelloThatItSentNothing() {
        Watchdog watchdog = new Watchdog(() -> now, Duration.ofMinutes(1), Duration.ofSeconds(3));
        now += Duration.ofSeconds(2).toNanos();
        watchdog.heard();
        now += Duration.ofSeconds(3).minus(NANO).toNanos();
        assertTrue(watchdog.beforeHello().isEmpty(), "a read restarts the idle timeout");
        now += 1;
        Watchdog.Refusal refusal = watchdog.beforeHello().orElseThrow();
        assertEquals("the source sent nothing for 3 s", refusal.reason());
        assertTrue(refusal.tellPeer());
    }

    @Test
    void shouldNeverExpireAZeroTimeout() {
        assertFalse(Timeouts.expired(Duration.ZERO, 0, Long.MAX_VALUE));
        assertTrue(Timeouts.expired(Duration.ofSeconds(1), Long.MAX_VALUE - 10, Long.MIN_VALUE + 1_000_000_000L),
                "the clock may wrap: only differences count");
    }

    @Test
    void shouldPollOftenEnoughToNoticeTheShortestTimeoutWithinAQuarter() {
        assertEquals(125, Timeouts.pollMillis(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ZERO));
        assertEquals(1000, Timeouts.pollMillis(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        assertEquals(10, Timeouts.pollMillis(Duration.ofMillis(1)));
    }

    @Test
    void shouldAbortAMigrationIdleTooLongWhileReceiving() {
        ReceiverFixture fixture = new ReceiverFixture();
        ReceiverState receiving = fixture.state("RECEIVING");
        long lastHeard = fixture.nowNanos;
        fixture.advance(ReceiverFixture.IDLE.minus(NANO));
        assertSame(receiving, fixture.step(receiving, new Input.Tick(1, lastHeard)).next());

        fixture.advance(NANO);
        Step step = fixture.step(receiving, new Input.Tick(1, lastHeard));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class, step.next());
        assertEquals(ErrorCode.ERROR_CODE_TIMEOUT, aborted.code());
        assertEquals("the source sent nothing for 30 s", aborted.reason());
        assertEquals("RECEIVING", aborted.in());
        assertTrue(step.effects().contains(new Effect.Discard(fixture.vms.built.getFirst())));
    }

    @Test
    void shouldAbortAnEstablishedMigrationThatNeverSendsItsLayout() {
        ReceiverFixture fixture = new ReceiverFixture();
        long lastHeard = fixture.nowNanos;
        fixture.advance(ReceiverFixture.IDLE);
        ReceiverState next = fixture.step(Receiver.initial(), new Input.Tick(0, lastHeard)).next();
        assertEquals("ESTABLISHED", assertInstanceOf(ReceiverState.Aborted.class, next).in());
    }

    @Test
    void shouldWaitOutSilenceOnceCompleteIsIn() {
        ReceiverFixture fixture = new ReceiverFixture();
        ReceiverState completing = fixture.state("COMPLETING");
        long lastHeard = fixture.nowNanos;
        fixture.advance(ReceiverFixture.IDLE.multipliedBy(10));
        assertSame(completing, fixture.step(completing, new Input.Tick(1, lastHeard)).next(),
                "data channels are done and the source is busy: silence is expected");
    }

    @Test
    void shouldDiscardTheResumedGuestWhenNoReleaseComesWithinTheReleaseTimeout() {
        ReceiverFixture fixture = new ReceiverFixture();
        ReceiverState resumed = fixture.state("RESUMED");
        FakeVms.FakeVm guest = fixture.vms.built.getFirst();
        // The idle timeout does not apply here: channels heard nothing for longer than it.
        fixture.advance(ReceiverFixture.RELEASE.minus(NANO));
        assertSame(resumed, fixture.step(resumed, new Input.Tick(0, 0)).next());

        fixture.advance(NANO);
        Step step = fixture.step(resumed, new Input.Tick(0, 0));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class, step.next());
        assertEquals(ErrorCode.ERROR_CODE_TIMEOUT, aborted.code(), "the source is told, and resumes its copy");
        assertEquals("the source sent no Release within 120 s of the Ack", aborted.reason());
        assertEquals("RESUMED", aborted.in());
        assertTrue(step.effects().contains(new Effect.Discard(guest)));
    }

    @Test
    void shouldWaitForTheReleaseForEverWithAZeroReleaseTimeout() {
        ReceiverFixture fixture = new ReceiverFixture();
        Receiver patient = new Receiver(TargetConfig.loopback().withVms(fixture.vms).withNanoClock(() -> fixture.nowNanos)
                .withReleaseTimeout(Duration.ZERO), TargetListener.CLOSE_ON_ARRIVAL, 2, 2, () -> true, false);
        ReceiverState resumed = fixture.state("RESUMED");
        fixture.advance(Duration.ofDays(1));
        assertSame(resumed, patient.step(resumed, new Input.Tick(0, 0)).next());
    }
}
