package io.mtemigrate.incoming;

import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Ready;
import io.mtemigrate.proto.RoundReceived;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.mtemigrate.incoming.ReceiverState.Aborted;
import io.mtemigrate.incoming.ReceiverState.Completing;
import io.mtemigrate.incoming.ReceiverState.Ended;
import io.mtemigrate.incoming.ReceiverState.Established;
import io.mtemigrate.incoming.ReceiverState.Landing;
import io.mtemigrate.incoming.ReceiverState.PostCopying;
import io.mtemigrate.incoming.ReceiverState.PostcopyPaused;
import io.mtemigrate.incoming.ReceiverState.Receiving;
import io.mtemigrate.incoming.ReceiverState.Released;
import io.mtemigrate.incoming.ReceiverState.Resumed;

/**
 * DESIGN.md's target steps as one function of (state, input): the next state and the effects to perform. It
 * decides, and touches the VM only to build, check and restore it; sending, starting the guest and discarding it
 * are effects the session performs. Page data never passes through here: a batch lands on its channel's event
 * loop, and {@link #acceptsPages} is all the step says about it.
 */
final class Receiver {
    private final TargetConfig config;
    private final TargetListener listener;
    private final int channelCount;
    /** The agreed protocol version; RoundReceived exists from version 2 on. */
    private final int protocolVersion;
    private final LongSupplier clock;
    /** Whether channel 0 is still open: a guest resumes only for a source that can still hear the Ack. */
    private final BooleanSupplier sourceConnected;
    /** The Hello armed post-copy: the post-copy channel exists and PostcopyStart may come. */
    private final boolean postcopy;
    private final PostcopySteps postcopySteps;

    Receiver(TargetConfig config, TargetListener listener, int channelCount, int protocolVersion,
             BooleanSupplier sourceConnected, boolean postcopy) {
        this.postcopy = postcopy;
        this.postcopySteps = new PostcopySteps(config, listener, sourceConnected, postcopy);
        this.config = config;
        this.listener = listener;
        this.channelCount = channelCount;
        this.protocolVersion = protocolVersion;
        this.clock = config.nanoClock();
        this.sourceConnected = sourceConnected;
    }

    static ReceiverState initial() {
        return new Established();
    }

    static boolean acceptsPages(ReceiverState state) {
        return state instanceof Landing;
    }

    Step step(ReceiverState state, Input input) {
        if (input instanceof Input.Join join) {
            // A late or stray channel is refused on its own: the migration it asked to join goes on.
            return state instanceof Established || state instanceof Receiving || state instanceof PostcopyPaused
                    ? Step.to(state)
                    : Step.refuseJoin(state, new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "channel "
                    + join.channel() + " joined in state " + state.name()));
        }
        if (state instanceof Ended) {
            // The VM is gone or handed over: late messages and closing channels change nothing.
            return Step.to(state);
        }
        try {
            return switch (input) {
                case Input.Control control -> control(state, control.channel(), control.message());
                case Input.Pages ignored -> {
                    if (!acceptsPages(state)) {
                        throw MigrationAbort.outOfOrder("a page batch", state);
                    }
                    yield Step.to(state);
                }
                case Input.Closed closed -> state instanceof PostCopying copying
                        ? postcopySteps.pause(copying, closed.channel() < 0 ? "the source reconnected: its old connections were lost"
                        : "channel " + closed.channel() + " closed")
                        : state instanceof PostcopyPaused ? Step.to(state)
                        : abort(state, "channel " + closed.channel() + " closed in state " + state.name(), null);
                case Input.Failed failed -> abort(state, failed.reason(), failed.code());
                case Input.Tick tick -> tick(state, tick.channel(), tick.lastHeardNanos());
                case Input.AllArrived ignored -> state instanceof PostCopying copying ? postcopySteps.finishPostcopy(copying)
                        : Step.to(state);
                case Input.Join ignored -> throw new IllegalStateException("handled above");
            };
        } catch (MigrationAbort refusal) {
            return abort(state, refusal.getMessage(), refusal.code());
        }
    }

    private Step control(ReceiverState state, int channel, ControlMessage message) {
        if (postcopy && channel == channelCount) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, message.getBodyCase()
                    + " on the post-copy channel, which carries only pages");
        }
        if (channel != 0 && !message.hasRoundEnd()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, message.getBodyCase()
                    + " on data channel " + channel + ", which carries only pages and round ends");
        }
        return switch (message.getBodyCase()) {
            case VM_LAYOUT -> layout(expect(state, Established.class, "VmLayout"), message);
            case ROUND_START -> Step.to(expect(state, Receiving.class, "RoundStart"));
            case ROUND_END -> roundEnd(expect(state, Landing.class, "RoundEnd"), channel, message);
            case VCPU_STATE -> {
                Receiving receiving = expect(state, Receiving.class, "VcpuState");
                VcpuSnapshot snapshot = WireForms.vcpuSnapshot(message.getVcpuState());
                yield Step.to(new Receiving(receiving.restore(), receiving.rounds(), receiving.vcpus().with(snapshot),
                        receiving.toCome()));
            }
            case PAGE_SET -> postcopySteps.pageSet(expect(state, Receiving.class, "PageSet"), message.getPageSet());
            case POSTCOPY_START -> postcopySteps.postcopyStart(expect(state, Receiving.class, "PostcopyStart"),
                    message.getPostcopyStart());
            // After a recovery the source sends its PostcopyEnd again: the later one counts.
            case POSTCOPY_END -> postcopySteps.finishPostcopy(expect(state, PostCopying.class, "PostcopyEnd")
                    .withEnd(message.getPostcopyEnd()));
            case POSTCOPY_RECOVERED -> postcopySteps.recovered(expect(state, PostcopyPaused.class, "PostcopyRecovered"));
            case COMPLETE -> complete(expect(state, Receiving.class, "Complete"), message.getComplete());
            case RELEASE -> release(expect(state, Resumed.class, "Release"));
            // The source gave up, or revoked the running guest because its own full digest disagreed.
            case ERROR -> abort(state, "the source aborted: " + message.getError().getMessage(), null);
            default -> throw MigrationAbort.outOfOrder(message.getBodyCase().name(), state);
        };
    }

    private static <T extends ReceiverState> T expect(ReceiverState state, Class<T> expected, String what) {
        if (!expected.isInstance(state)) {
            throw MigrationAbort.outOfOrder(what, state);
        }
        return expected.cast(state);
    }

    private Step layout(Established ignored, ControlMessage message) {
        MigratableVm vm = Admission.build(message.getVmLayout(), config, postcopy);
        Receiving next = new Receiving(Restore.of(vm), Rounds.none(channelCount),
                VcpuStates.none(vm.layout().vcpus()));
        return Step.to(next, new Effect.Reply(ControlMessage.newBuilder()
                .setReady(Ready.newBuilder().setRamBytes(vm.layout().ramBytes())).build()));
    }

    private Step roundEnd(Landing state, int channel, ControlMessage message) {
        Rounds rounds = state.rounds().end(channel, message.getRoundEnd());
        if (state instanceof Completing completing) {
            return finishIfDrained(new Completing(completing.restore(), rounds, completing.vcpus(),
                    completing.complete(), completing.downtimeStartNanos()));
        }
        Receiving receiving = (Receiving) state;
        rounds = rounds.settle(receiving.restore().digests()::digest);
        List<Effect> effects = new ArrayList<>();
        long everywhere = rounds.everywhere();
        if (protocolVersion >= 2 && everywhere > rounds.confirmed()) {
            rounds = rounds.confirm(everywhere);
            effects.add(new Effect.Reply(ControlMessage.newBuilder()
                    .setRoundReceived(RoundReceived.newBuilder().setRound(everywhere)).build()));
        }
        return new Step(new Receiving(receiving.restore(), rounds, receiving.vcpus(), receiving.toCome()), effects, null);
    }

    private Step complete(Receiving state, Complete complete) {
        int missing = state.vcpus().firstMissing();
        if (missing >= 0) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "Complete arrived before vCPU "
                    + missing + "'s state");
        }
        return finishIfDrained(new Completing(state.restore(), state.rounds(), state.vcpus(), complete,
                clock.getAsLong()));
    }

    /** Resumes the guest once Complete is in and every channel has ended the final round. */
    private Step finishIfDrained(Completing state) {
        Complete complete = state.complete();
        if (state.rounds().everywhere() < complete.getRounds()) {
            return Step.to(state);
        }
        Restore restore = state.restore();
        MigratableVm vm = restore.vm();
        long digest = restore.digests().digest();
        if (digest != complete.getRamTagsDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "RAM+tags digest "
                    + RamDigest.hex(digest) + " of the pages applied here differs from the source's "
                    + RamDigest.hex(complete.getRamTagsDigest()));
        }
        if (config.verifyFullBeforeResume()) {
            long full = VmDigests.ram(vm);
            if (full != digest) {
                throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "full RAM+tags digest "
                        + RamDigest.hex(full) + " differs from the incremental " + RamDigest.hex(digest));
            }
        }
        List<VcpuSnapshot> vcpus = state.vcpus().all();
        try {
            vm.restoreVcpus(vcpus);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, e.getMessage(), e);
        }
        long vcpuDigest = VmDigests.vcpus(vcpus);
        if (vcpuDigest != complete.getVcpuStateDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "vCPU state digest differs from the source's");
        }
        try {
            listener.beforeResume(vm.layout());
        } catch (RuntimeException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "the target refused to resume: " + e.getMessage(), e);
        }
        if (!sourceConnected.getAsBoolean()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CANCELLED, "the source went away before the guest resumed");
        }
        long pages = restore.pagesApplied().get();
        ArrivedVm arrived = new ArrivedVm(vm, digest, vcpuDigest, pages, complete.getRounds(),
                state.downtimeStartNanos());
        ControlMessage ack = ControlMessage.newBuilder().setAck(Ack.newBuilder().setTargetDigest(digest)
                .setTargetVcpuStateDigest(vcpuDigest).setResumed(true).setPagesApplied(pages)
                .setRoundsWithTornPages(state.rounds().torn())).build();
        return Step.to(new Resumed(arrived, clock.getAsLong()), new Effect.Resume(vm), new Effect.Reply(ack));
    }

    /** The source verified the migration and let its copy go: the guest belongs to this host now. */
    private static Step release(Resumed state) {
        return Step.to(new Released(),
                new Effect.Reply(ControlMessage.newBuilder().setReleased(io.mtemigrate.proto.Released.getDefaultInstance()).build()),
                new Effect.HandOver(state.arrived()));
    }

    private Step tick(ReceiverState state, int lastHeardChannel, long lastHeardNanos) {
        if (postcopy && lastHeardChannel == channelCount) {
            // The post-copy channel carries pages only when a vCPU asks: its silence says nothing.
            return Step.to(state);
        }
        long now = clock.getAsLong();
        // Once Complete is in, silence is expected: data channels are done and the source is verifying its copy
        // (a source that dies closes its channels, which aborts). Only the release timeout bounds that wait.
        if (state instanceof PostcopyPaused paused) {
            if (Timeouts.expired(config.recoveryTimeout(), paused.lostAtNanos(), now)) {
                return abort(paused.copying(), "the source did not come back within "
                        + config.recoveryTimeout().toSeconds() + " s after the connection was lost (" + paused.why()
                        + ")", null);
            }
            return Step.to(state);
        }
        if (state instanceof PostCopying copying) {
            // Channel 0 carries pushed pages until PostcopyEnd; the post-copy channel is quiet while no vCPU
            // faults, and after PostcopyEnd silence is expected (a source that then loses the link reconnects).
            return lastHeardChannel == 0 && copying.end() == null
                    && Timeouts.expired(config.idleTimeout(), lastHeardNanos, now)
                    ? postcopySteps.pause(copying, "the source sent nothing for " + config.idleTimeout().toSeconds() + " s")
                    : Step.to(state);
        }
        if (state instanceof Established || state instanceof Receiving) {
            if (Timeouts.expired(config.idleTimeout(), lastHeardNanos, now)) {
                return abort(state, "the source sent nothing for " + config.idleTimeout().toSeconds() + " s",
                        ErrorCode.ERROR_CODE_TIMEOUT);
            }
        } else if (state instanceof Resumed resumed && Timeouts.expired(config.releaseTimeout(), resumed.ackedAtNanos(), now)) {
            return abort(state, "the source sent no Release within " + config.releaseTimeout().toSeconds()
                    + " s of the Ack", ErrorCode.ERROR_CODE_TIMEOUT);
        }
        return Step.to(state);
    }

    /** Discards the partial (or revocable) VM and ends the migration, telling the source when {@code code} is given. */
    private static Step abort(ReceiverState failed, String reason, ErrorCode code) {
        ReceiverState state = failed instanceof PostcopyPaused paused ? paused.copying() : failed;
        List<Effect> effects = new ArrayList<>();
        if (state instanceof PostCopying copying) {
            // The guest runs on pages that will never all come: stop it before anything else.
            effects.add(new Effect.StopGuest(copying.restore().vm()));
            effects.add(new Effect.EndPostcopy(copying.landing()));
            reason = reason + "; the guest had switched to post-copy with " + copying.landing().remaining()
                    + " pages still on the source, so it cannot run on here and is stopped";
        }
        MigratableVm vm = switch (state) {
            case Landing landing -> landing.restore().vm();
            case Resumed resumed -> resumed.arrived().machine();
            default -> null;
        };
        if (vm != null) {
            effects.add(new Effect.Discard(vm));
        }
        effects.add(new Effect.HangUp(reason, code));
        return new Step(new Aborted(reason, code, state.name()), effects, null);
    }
}
