package io.mtemigrate.incoming;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Release;
import io.mtemigrate.proto.RoundEnd;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.mtemigrate.incoming.ReceiverFixture.complete;
import static io.mtemigrate.incoming.ReceiverFixture.control;
import static io.mtemigrate.incoming.ReceiverFixture.roundEnd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the steps ask the session to do, and the refusals whose words depend on the data a state carries. */
class ReceiverEffectsTest {
    private final ReceiverFixture fixture = new ReceiverFixture();

    @Test
    void shouldAnswerTheLayoutWithReadyAndBuildTheVmThroughTheFactory() {
        Step step = fixture.step(Receiver.initial(), control(0, ReceiverFixture.layout()));
        assertInstanceOf(ReceiverState.Receiving.class, step.next());
        assertEquals(1, fixture.vms.built.size());
        ControlMessage ready = assertInstanceOf(Effect.Reply.class, step.effects().getFirst()).message();
        assertEquals(16 * 4096, ready.getReady().getRamBytes());
    }

    @Test
    void shouldConfirmARoundOnlyOnceEveryChannelHasEndedIt() {
        ReceiverState receiving = fixture.state("RECEIVING");
        Step first = fixture.step(receiving, control(0, roundEnd(0)));
        assertTrue(first.effects().isEmpty(), "channel 1 has not ended round 0");
        Step second = fixture.step(first.next(), control(1, roundEnd(0)));
        ControlMessage reply = assertInstanceOf(Effect.Reply.class, second.effects().getFirst()).message();
        assertEquals(0, reply.getRoundReceived().getRound());
    }

    @Test
    void shouldRefuseARoundEndThatGoesBackwards() {
        ReceiverState ended = fixture.after(fixture.state("RECEIVING"), control(1, roundEnd(3)));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class,
                fixture.step(ended, control(1, roundEnd(3))).next());
        assertEquals("channel 1 ended round 3 after round 3", aborted.reason());
        assertEquals("RECEIVING", aborted.in());
    }

    @Test
    void shouldCountARoundWhoseDigestDiffersFromTheSourcesAsTorn() {
        ControlMessage withDigest = ControlMessage.newBuilder().setRoundEnd(RoundEnd.newBuilder().setRound(0)
                .setRamTagsDigest(42)).build();
        ReceiverState state = fixture.after(fixture.state("RECEIVING"), control(0, withDigest), control(1, roundEnd(0)));
        assertEquals(1, ((ReceiverState.Receiving) state).rounds().torn());
    }

    @Test
    void shouldRefuseCompleteBeforeEveryVcpusState() {
        ReceiverState noVcpu = fixture.after(Receiver.initial(), control(0, ReceiverFixture.layout()));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class,
                fixture.step(noVcpu, control(0, complete(0))).next());
        assertEquals("Complete arrived before vCPU 0's state", aborted.reason());
    }

    @Test
    void shouldRestoreTheVcpusResumeTheGuestAndThenAck() {
        ReceiverState completing = fixture.after(fixture.state("COMPLETING"), control(0, roundEnd(0)));
        Step step = fixture.step(completing, control(1, roundEnd(0)));
        ReceiverState.Resumed resumed = assertInstanceOf(ReceiverState.Resumed.class, step.next());
        FakeVms.FakeVm vm = fixture.vms.built.getFirst();
        assertEquals(List.of(ReceiverFixture.VCPU), vm.restored);
        assertEquals(new Effect.Resume(vm), step.effects().get(0), "the guest runs before the source hears so");
        assertTrue(assertInstanceOf(Effect.Reply.class, step.effects().get(1)).message().getAck().getResumed());
        assertEquals(fixture.nowNanos, resumed.ackedAtNanos());
        assertTrue(!vm.started, "starting is the session's effect, under the memory lock");
    }

    @Test
    void shouldRefuseToResumeForASourceThatWentAway() {
        ReceiverState completing = fixture.after(fixture.state("COMPLETING"), control(0, roundEnd(0)));
        fixture.sourceConnected = false;
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class,
                fixture.step(completing, control(1, roundEnd(0))).next());
        assertEquals(ErrorCode.ERROR_CODE_CANCELLED, aborted.code());
        assertEquals("COMPLETING", aborted.in());
    }

    @Test
    void shouldRefuseADigestThatDiffersFromTheSources() {
        ControlMessage wrong = complete(0).toBuilder().setComplete(complete(0).getComplete().toBuilder()
                .setRamTagsDigest(7)).build();
        ReceiverState completing = fixture.after(fixture.state("RECEIVING"), control(0, wrong), control(0, roundEnd(0)));
        Step step = fixture.step(completing, control(1, roundEnd(0)));
        ReceiverState.Aborted aborted = assertInstanceOf(ReceiverState.Aborted.class, step.next());
        assertEquals(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, aborted.code());
        assertTrue(step.effects().contains(new Effect.Discard(fixture.vms.built.getFirst())));
    }

    @Test
    void shouldHandTheGuestOverOnRelease() {
        ReceiverState.Resumed resumed = (ReceiverState.Resumed) fixture.state("RESUMED");
        Step step = fixture.step(resumed, control(0, ControlMessage.newBuilder()
                .setRelease(Release.getDefaultInstance()).build()));
        assertTrue(assertInstanceOf(Effect.Reply.class, step.effects().get(0)).message().hasReleased());
        assertEquals(new Effect.HandOver(resumed.arrived()), step.effects().get(1));
    }
}
