package io.mtemigrate.incoming;

import io.mtemigrate.incoming.ReceiverState.PostCopying;
import io.mtemigrate.incoming.ReceiverState.PostcopyPaused;
import io.mtemigrate.incoming.ReceiverState.Receiving;
import io.mtemigrate.incoming.ReceiverState.Released;
import io.mtemigrate.migration.PageSets;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.PageSet;
import io.mtemigrate.proto.PostcopyResend;
import io.mtemigrate.proto.PostcopyResumed;
import io.mtemigrate.proto.PostcopyStart;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The {@link Receiver}'s post-copy steps: the page sets and the switch, the pause when the connections are lost and
 * the recovery after it, and the hand-over once every page is in. Pure like the receiver's own steps: they decide,
 * and touch the VM only to restore it and make its owed pages missing.
 */
final class PostcopySteps {
    private final TargetListener listener;
    private final LongSupplier clock;
    private final BooleanSupplier sourceConnected;
    private final boolean postcopy;

    PostcopySteps(TargetConfig config, TargetListener listener, BooleanSupplier sourceConnected, boolean postcopy) {
        this.listener = listener;
        this.clock = config.nanoClock();
        this.sourceConnected = sourceConnected;
        this.postcopy = postcopy;
    }

    Step pageSet(Receiving state, PageSet set) {
        if (!postcopy) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "PageSet in a migration without post-copy");
        }
        long[] slotPages = PageSets.pagesPerSlot(state.restore().vm().layout());
        long[][] toCome = state.toCome() == null ? PageSets.empty(slotPages) : state.toCome();
        try {
            PageSets.add(toCome, set, slotPages);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, e.getMessage());
        }
        return Step.to(new Receiving(state.restore(), state.rounds(), state.vcpus(), toCome));
    }

    /**
     * The switch: the source paused the guest for good. The pages it still owes become missing, the vCPUs get their
     * states and run at once; a vCPU that touches a missing page waits until it is installed.
     */
    Step postcopyStart(Receiving state, PostcopyStart start) {
        if (!postcopy) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION,
                    "PostcopyStart in a migration whose Hello did not arm post-copy");
        }
        int missing = state.vcpus().firstMissing();
        if (missing >= 0) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "PostcopyStart arrived before vCPU "
                    + missing + "'s state");
        }
        if (start.getPrecopied() && state.rounds().everywhere() < start.getRounds()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "PostcopyStart after round "
                    + start.getRounds() + ", but not every channel has ended it");
        }
        MigratableVm vm = state.restore().vm();
        long[] slotPages = PageSets.pagesPerSlot(vm.layout());
        long[][] toCome = state.toCome() == null ? PageSets.empty(slotPages) : state.toCome();
        long pages = PageSets.count(toCome);
        if (pages != start.getPagesToCome()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "PostcopyStart says "
                    + start.getPagesToCome() + " pages are to come, its page sets " + pages);
        }
        List<VcpuSnapshot> vcpus = state.vcpus().all();
        long vcpuDigest = VmDigests.vcpus(vcpus);
        if (vcpuDigest != start.getVcpuStateDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "vCPU state digest differs from the source's");
        }
        try {
            vm.restoreVcpus(vcpus);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, e.getMessage(), e);
        }
        try {
            listener.beforeResume(vm.layout());
        } catch (RuntimeException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "the target refused to resume: " + e.getMessage(), e);
        }
        if (!sourceConnected.getAsBoolean()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_CANCELLED, "the source went away before the guest resumed");
        }
        PostcopyLanding landing = PostcopyLanding.open(vm, toCome, slotPages, pages, start.getPrecopied());
        PostCopying next = new PostCopying(state.restore(), state.rounds(), landing, vcpuDigest, null, clock.getAsLong());
        return Step.to(next, new Effect.Resume(vm), new Effect.ServeFaults(landing),
                new Effect.Reply(ControlMessage.newBuilder().setPostcopyResumed(PostcopyResumed.getDefaultInstance()).build()));
    }

    /**
     * The connections are gone after the switch: neither side may drop its part of the guest, so the channels
     * close and the migration waits for the source to come back (QEMU's postcopy-paused).
     */
    Step pause(PostCopying state, String why) {
        return Step.to(new PostcopyPaused(state, clock.getAsLong(), why), new Effect.DropChannels());
    }

    /** Every channel is back: tell the source what is still missing, and ask again for what vCPUs wait on. */
    static Step recovered(PostcopyPaused state) {
        PostcopyLanding landing = state.copying().landing();
        long[][] missing = landing.missing();
        List<Effect> effects = new ArrayList<>();
        for (ControlMessage set : PageSets.messages(missing)) {
            effects.add(new Effect.Reply(set));
        }
        effects.add(new Effect.Reply(ControlMessage.newBuilder().setPostcopyResend(PostcopyResend.newBuilder()
                .setPagesMissing(PageSets.count(missing))).build()));
        effects.add(new Effect.RequestAgain(landing));
        return new Step(state.copying(), effects, null);
    }

    /** Hands the guest over once every owed page is in and matches the source's frozen memory. */
    Step finishPostcopy(PostCopying state) {
        PostcopyLanding landing = state.landing();
        if (state.end() == null || landing.remaining() > 0) {
            return Step.to(state);
        }
        Restore restore = state.restore();
        if (!landing.precopied()) {
            landing.countHolesIn(restore.digests(), restore.vm());
        }
        long digest = restore.digests().digest();
        if (digest != state.end().getRamTagsDigest()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_DIGEST_MISMATCH, "after post-copy the RAM+tags digest "
                    + RamDigest.hex(digest) + " of the pages here differs from the source's frozen memory's "
                    + RamDigest.hex(state.end().getRamTagsDigest()) + ": the guest is stopped");
        }
        long pages = restore.pagesApplied().get();
        ArrivedVm arrived = new ArrivedVm(restore.vm(), digest, state.vcpuDigest(), pages, state.rounds().everywhere() + 1,
                state.switchedAtNanos());
        ControlMessage ack = ControlMessage.newBuilder().setAck(Ack.newBuilder().setTargetDigest(digest)
                .setTargetVcpuStateDigest(state.vcpuDigest()).setResumed(true).setPagesApplied(pages)
                .setRoundsWithTornPages(state.rounds().torn())
                .setPostcopyFaults(landing.faults().summary(landing.pagesInstalled()))).build();
        // With every page here the source's copy is obsolete: the guest is this host's without a Release.
        return Step.to(new Released(), new Effect.EndPostcopy(landing), new Effect.Reply(ack),
                new Effect.HandOver(arrived));
    }
}
