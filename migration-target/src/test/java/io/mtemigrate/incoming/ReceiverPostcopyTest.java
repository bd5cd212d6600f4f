package io.mtemigrate.incoming;

import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.PageSets;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.PostcopyEnd;
import io.mtemigrate.proto.PostcopyRecovered;
import io.mtemigrate.proto.PostcopyStart;
import io.mtemigrate.vmsim.digest.VmDigests;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.mtemigrate.incoming.ReceiverFixture.control;
import static io.mtemigrate.incoming.ReceiverFixture.roundEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver's post-copy steps over fake VMs: the switch, the pause when the connections are lost and the
 * recovery or the give-up after it, and the hand-over once every page is in.
 */
class ReceiverPostcopyTest {
    private static final Duration RECOVERY = Duration.ofSeconds(7);
    /** Pages 1 and 3 of the fixture's 16-page slot are still to come at the switch. */
    private static final long[][] TO_COME = {{0b1010}};

    private final ReceiverFixture fixture = new ReceiverFixture(TargetConfig.loopback().withRecoveryTimeout(RECOVERY), true);

    private ReceiverState receivingWithRoundZero() {
        return fixture.after(fixture.state("RECEIVING"), control(0, roundEnd(0)), control(1, roundEnd(0)));
    }

    private static ControlMessage start(long pages) {
        return ControlMessage.newBuilder().setPostcopyStart(PostcopyStart.newBuilder().setRounds(0).setPagesToCome(pages)
                .setPrecopied(true).setVcpuStateDigest(VmDigests.vcpus(List.of(ReceiverFixture.VCPU)))).build();
    }

    private Step switchOver() {
        ReceiverState state = receivingWithRoundZero();
        for (ControlMessage set : PageSets.messages(TO_COME)) {
            state = fixture.step(state, control(0, set)).next();
        }
        return fixture.step(state, control(0, start(2)));
    }

    @Test
    void shouldResumeAtOnceWithThePagesToComeMissing() {
        Step step = switchOver();
        ReceiverState.PostCopying copying = assertInstanceOf(ReceiverState.PostCopying.class, step.next());
        assertEquals(List.of(Effect.Resume.class, Effect.ServeFaults.class, Effect.Reply.class),
                step.effects().stream().map(Object::getClass).toList());
        assertTrue(((Effect.Reply) step.effects().get(2)).message().hasPostcopyResumed());
        FakeVms.FakeVm vm = fixture.vms.built.getFirst();
        assertEquals(0b1010, vm.arriving.expected.getFirst()[0]);
        assertEquals(List.of(ReceiverFixture.VCPU), vm.restored);
        assertEquals(2, copying.landing().remaining());
    }

    @Test
    void shouldRefuseASwitchWhosePageCountDisagreesWithItsPageSets() {
        ReceiverState state = fixture.after(receivingWithRoundZero(), control(0, PageSets.messages(TO_COME).getFirst()));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class,
                fixture.step(state, control(0, start(3))).next());
        assertEquals("PostcopyStart says 3 pages are to come, its page sets 2", aborted.reason());
    }

    @Test
    void shouldRefuseASwitchInAMigrationThatDidNotArmPostcopy() {
        ReceiverFixture unarmed = new ReceiverFixture();
        ReceiverState state = unarmed.after(unarmed.state("RECEIVING"), control(0, roundEnd(0)), control(1, roundEnd(0)));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class,
                unarmed.step(state, control(0, start(0))).next());
        assertEquals("PostcopyStart in a migration whose Hello did not arm post-copy", aborted.reason());
    }

    @Test
    void shouldNotTakeTheSilenceOfThePostcopyChannelForALostSource() {
        ReceiverState receiving = receivingWithRoundZero();
        fixture.advance(ReceiverFixture.IDLE.multipliedBy(3));
        assertInstanceOf(ReceiverState.Receiving.class, fixture.step(receiving, new Input.Tick(2, 0)).next());
        assertInstanceOf(ReceiverState.Aborted.class, fixture.step(receiving, new Input.Tick(1, 0)).next(),
                "a data channel's silence still counts");
    }

    @Test
    void shouldKeepTheGuestAndWaitForTheSourceWhenAChannelCloses() {
        Step lost = fixture.step(switchOver().next(), new Input.Closed(1));
        assertInstanceOf(ReceiverState.PostcopyPaused.class, lost.next());
        assertEquals(List.of(new Effect.DropChannels()), lost.effects());
        assertTrue(!fixture.vms.built.getFirst().closed, "the guest must live on");
    }

    @Test
    void shouldTellAReconnectedSourceWhatIsStillMissingAndAskAgainForWhatVcpusWaitOn() {
        ReceiverState paused = fixture.step(switchOver().next(), new Input.Closed(0)).next();
        Step recovered = fixture.step(paused, control(0, ControlMessage.newBuilder()
                .setPostcopyRecovered(PostcopyRecovered.getDefaultInstance()).build()));
        assertInstanceOf(ReceiverState.PostCopying.class, recovered.next());
        List<Effect> effects = recovered.effects();
        assertEquals(0b1010, ((Effect.Reply) effects.get(0)).message().getPageSet().getWords(0));
        assertEquals(2, ((Effect.Reply) effects.get(1)).message().getPostcopyResend().getPagesMissing());
        assertInstanceOf(Effect.RequestAgain.class, effects.get(2));
    }

    @Test
    void shouldStopTheGuestWhenTheSourceDoesNotComeBackInTime() {
        ReceiverState paused = fixture.step(switchOver().next(), new Input.Closed(0)).next();
        fixture.advance(RECOVERY.minusMillis(1));
        assertInstanceOf(ReceiverState.PostcopyPaused.class, fixture.step(paused, new Input.Tick(-1, 0)).next());
        fixture.advance(Duration.ofMillis(2));
        Step gaveUp = fixture.step(paused, new Input.Tick(-1, 0));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class, gaveUp.next());
        assertTrue(aborted.reason().startsWith("the source did not come back within 7 s after the connection was lost"
                + " (channel 0 closed); the guest had switched to post-copy with 2 pages still on the source, so it"
                + " cannot run on here and is stopped"), aborted.reason());
        assertEquals(List.of(Effect.StopGuest.class, Effect.EndPostcopy.class, Effect.Discard.class, Effect.HangUp.class),
                gaveUp.effects().stream().map(Object::getClass).toList());
    }

    @Test
    void shouldHandTheGuestOverOnceEveryPageIsInAndTheDigestsAgree() {
        ReceiverState.PostCopying copying = (ReceiverState.PostCopying) switchOver().next();
        assertFalse(copying.landing().installed(0, 1, 1, 0), "page 3 is still to come");
        assertTrue(copying.landing().installed(0, 3, 1, 0));
        Step allIn = fixture.step(copying, new Input.AllArrived());
        assertInstanceOf(ReceiverState.PostCopying.class, allIn.next(), "PostcopyEnd has not come yet");
        long digest = new PageDigests(ReceiverFixture.machineLayout()).digest();
        Step done = fixture.step(allIn.next(), control(0, ControlMessage.newBuilder()
                .setPostcopyEnd(PostcopyEnd.newBuilder().setRamTagsDigest(digest)).build()));
        assertInstanceOf(ReceiverState.Released.class, done.next());
        assertEquals(List.of(Effect.EndPostcopy.class, Effect.Reply.class, Effect.HandOver.class),
                done.effects().stream().map(Object::getClass).toList());
        assertTrue(((Effect.Reply) done.effects().get(1)).message().getAck().getResumed());
    }
}
