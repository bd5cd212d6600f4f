package io.mtemigrate.source;

import com.google.protobuf.ByteString;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.PageSets;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.Capabilities;
import io.mtemigrate.proto.CompressionCodec;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.Release;
import io.mtemigrate.proto.RoundStart;
import io.mtemigrate.tagstream.handshake.VersionNegotiator;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;

/**
 * Migrates a running VM to a target, as DESIGN.md's steps 1-6 describe: handshake and layout, dirty logging, a
 * first pass, pre-copy rounds until the rest fits the downtime limit, stop-and-copy, and the target's
 * acknowledgement. The VM stays the caller's: after success it is left paused (the guest now runs on the
 * target); after any failure it runs again exactly where it was, with dirty logging off.
 */
public final class SourceMigration {
    private final MigratableVm vm;
    private final Destination destination;
    private final MigrationConfig config;
    private final ProgressListener listener;
    private final LiveLimits limits;
    private volatile boolean cancelled;
    /** The link once open, for the words of a timeout. */
    private volatile MigrationTransport openLink;
    private boolean releaseSent;
    /** PostcopyStart may have reached the target: the guest may run there, so this copy stays paused. */
    private volatile boolean postcopyStarted;
    private Phase phase = Phase.HANDSHAKE;
    private MigrationStats stats;

    public SourceMigration(MigratableVm vm, InetSocketAddress target, MigrationConfig config,
                           ProgressListener listener) {
        this(vm, Destination.target(target), config, listener);
    }

    public SourceMigration(MigratableVm vm, Destination destination, MigrationConfig config,
                           ProgressListener listener) {
        this.vm = vm;
        this.destination = destination;
        this.config = config;
        this.listener = listener;
        this.limits = LiveLimits.of(config);
    }

    /** The downtime limit and bandwidth cap this migration obeys; changing them steers it while it runs. */
    public LiveLimits limits() {
        return limits;
    }

    /**
     * Whether the switch to post-copy may have reached the target. From then on the migration cannot be cancelled
     * ({@link #cancel} changes nothing): the guest may run there with part of its memory only here.
     */
    public boolean switchedToPostcopy() {
        return postcopyStarted;
    }

    /** Asks the migration to stop at its next checkpoint; the report then says "cancelled". */
    public void cancel() {
        cancelled = true;
    }

    /** Runs the migration on the calling thread and reports how it went; it never throws for a failed migration. */
    public MigrationReport run() {
        long start = config.nanoClock().getAsLong();
        stats = new MigrationStats(config.nanoClock(), start, limits);
        Checkpoint checkpoint = checkpoint(start);
        if (config.postcopy().armed() && destination instanceof Destination.StreamFile) {
            return stats.report(vm, "failed", "a recording cannot switch to post-copy: no target runs the guest");
        }
        Hello hello = hello(destination instanceof Destination.StreamFile ? 1 : config.channels());
        try (MigrationTransport link = destination.open(hello, config, limits, deadline(start), checkpoint)) {
            openLink = link;
            try {
                return migrate(link, start, checkpoint, hello);
            } catch (MigrationFailure failure) {
                // Best effort: a target that hears why discards its copy at once instead of at its idle timeout.
                if (!releaseSent && !postcopyStarted) {
                    PhaseFailure stopped = new PhaseFailure(phase, failure);
                    link.sendControlAndWait(0, Protocol.error(stopped.code(), stopped.message()));
                }
                throw failure;
            }
        } catch (MigrationFailure failure) {
            return stopped(new PhaseFailure(phase, failure));
        } catch (RuntimeException e) {
            return stopped(PhaseFailure.unexpected(phase, e));
        }
    }

    private MigrationReport stopped(PhaseFailure failure) {
        String outcome = recover();
        return stats.report(vm, failure.status(), failure.message() + outcome);
    }

    private MigrationReport migrate(MigrationTransport link, long start, Checkpoint checkpoint, Hello hello)
            throws MigrationFailure {
        link.sendControl(0, ControlMessage.newBuilder().setVmLayout(WireForms.layout(vm.layout())).build());
        ControlMessage ready = link.awaitControl(deadline(start), checkpoint);
        if (!ready.hasReady()) {
            throw MigrationFailure.failed("the target answered the layout with " + TargetLink.describe(ready));
        }
        PageDigests digests = new PageDigests(vm.layout());
        try (PageSender sender = new PageSender(vm, link, digests, config.zstd())) {
            if (config.postcopy().when() == Postcopy.When.START) {
                return postcopy(link, sender, null, 0, hello);
            }
            vm.logDirtyPages(true);
            enter(Phase.FIRST_PASS, link, sender, 0, 0);
            sender.sendAll(0, () -> {
                checkpoint.check();
                stats.maybeReport(listener, phase, 0, link, sender, vm.throttle());
            });
            sender.endRound(0);
            // Frames still queued, here or in socket buffers, count as sent for the bandwidth but would land in
            // the downtime: wait until the target has them.
            link.awaitRoundReceived(0, checkpoint);

            long[][] dirty = PageSets.empty(PageSets.pagesPerSlot(vm.layout()));
            ConvergencePolicy policy = new ConvergencePolicy(config, limits, start);
            RoundRate lastRound = new RoundRate(config.nanoClock(), start, 0);
            lastRound.ended(link.bytesWritten());
            int round = 1;
            if (switchesNow(round, null)) {
                return postcopy(link, sender, dirty, round, hello);
            }
            enter(Phase.ROUNDS, link, sender, round, 0);
            while (true) {
                long dirtyPages = SlotPages.readDirtyLog(vm, dirty, false);
                long dirtyBytes = dirtyPages * vm.layout().pageSize().bytes();
                stats.dirtyRead(dirtyBytes);
                // The last round's own rate, when it was slower than the average: scattered dirty pages go in small
                // frames, and the stop-and-copy will send them at that rate, not at the first pass's.
                ConvergencePolicy.Decision decision = policy.decide(round, dirtyBytes,
                        Math.min(stats.bandwidth(link), lastRound.bytesPerSecond()), config.nanoClock().getAsLong());
                if (decision instanceof ConvergencePolicy.StopAndCopy) {
                    break;
                }
                if (switchesNow(round, decision)) {
                    return postcopy(link, sender, dirty, round, hello);
                }
                if (decision instanceof ConvergencePolicy.GiveUp giveUp) {
                    throw MigrationFailure.failed(giveUp.reason());
                }
                vm.setThrottle(((ConvergencePolicy.Continue) decision).throttle());
                stats.throttled(vm.throttle());
                link.sendControl(0, ControlMessage.newBuilder().setRoundStart(RoundStart.newBuilder().setRound(round)
                        .setPagesInRound(dirtyPages)).build());
                int current = round;
                lastRound = new RoundRate(config.nanoClock(), config.nanoClock().getAsLong(), link.bytesWritten());
                sender.sendDirty(round, dirty, () -> {
                    checkpoint.check();
                    stats.maybeReport(listener, phase, current, link, sender, vm.throttle());
                });
                sender.endRound(round);
                link.awaitRoundReceived(round, checkpoint);
                lastRound.ended(link.bytesWritten());
                round++;
            }

            enter(Phase.STOP_AND_COPY, link, sender, round, vm.throttle());
            vm.pauseVcpus();
            stats.paused();
            long finalPages = SlotPages.readDirtyLog(vm, dirty, true);
            link.sendControl(0, ControlMessage.newBuilder().setRoundStart(RoundStart.newBuilder().setRound(round)
                    .setPagesInRound(finalPages).setStopAndCopy(true)).build());
            sender.sendDirty(round, dirty, checkpoint);
            List<VcpuSnapshot> states = vm.saveVcpus();
            for (VcpuSnapshot state : states) {
                link.sendControl(0, ControlMessage.newBuilder().setVcpuState(WireForms.vcpuState(state)).build());
            }
            sender.endRound(round);
            long incremental = digests.digest();
            link.sendControl(0, ControlMessage.newBuilder().setComplete(Complete.newBuilder()
                    .setRamTagsDigest(incremental).setVcpuStateDigest(VmDigests.vcpus(states))
                    .setPagesTotal(sender.total().pages()).setRounds(round)).build());

            enter(Phase.AWAIT_ACK, link, sender, round, vm.throttle());
            ControlMessage answer = link.awaitControl(deadline(start), checkpoint);
            if (!answer.hasAck() || !answer.getAck().getResumed()) {
                throw MigrationFailure.failed("the target answered Complete with " + TargetLink.describe(answer));
            }
            stats.resumedOnTarget();
            Ack ack = answer.getAck();
            stats.roundsWithTornPages(ack.getRoundsWithTornPages());

            enter(Phase.VERIFY, link, sender, round, vm.throttle());
            vm.logDirtyPages(false);
            vm.setThrottle(0);
            // The incremental digests prove what was sent; only a read of the paused memory itself proves that no
            // dirty bit was lost. The guest already runs on the target, so this costs no downtime.
            long verifyStart = config.nanoClock().getAsLong();
            long sourceDigest = VmDigests.ram(vm);
            stats.verified(config.nanoClock().getAsLong() - verifyStart);
            stats.digests(sourceDigest, ack.getTargetDigest(), round + 1, sender.total(), link.bytesWritten());
            if (sourceDigest != ack.getTargetDigest()) {
                throw MigrationFailure.digestMismatch("the source's full RAM+tags digest " + RamDigest.hex(sourceDigest)
                        + " differs from the target's " + RamDigest.hex(ack.getTargetDigest()) + "; the guest stays here");
            }
            // The point of no return: once Release may have reached the target, this copy must never run again.
            releaseSent = true;
            if (!link.sendControlAndWait(0, ControlMessage.newBuilder().setRelease(Release.getDefaultInstance()).build())) {
                releaseSent = false;
                link.throwIfFailed();
                throw MigrationFailure.failed("the Release could not be written to the target");
            }
            ControlMessage released;
            try {
                released = link.awaitControl(deadline(start), checkpoint);
            } catch (MigrationFailure failure) {
                if (failure.refusedByTarget()) {
                    // An explicit refusal means the target dropped its copy: ours is the one to run.
                    releaseSent = false;
                }
                throw failure;
            }
            if (!released.hasReleased()) {
                throw MigrationFailure.failed("the target answered Release with " + TargetLink.describe(released));
            }
            link.commit();
            phase = Phase.DONE;
            return stats.report(vm, "completed", "");
        }
    }

    /**
     * Whether to switch to post-copy before sending round {@code round}: never unless armed; then as the plan says,
     * or at once when asked while running. {@code decision} is the convergence policy's, null after the first pass.
     */
    private boolean switchesNow(int round, ConvergencePolicy.Decision decision) {
        Postcopy plan = config.postcopy();
        if (!plan.armed()) {
            return false;
        }
        return limits.postcopyRequested() || switch (plan.when()) {
            case START, FIRST_PASS -> true;
            case AFTER_ROUNDS -> round > plan.afterRounds();
            case WHEN_STUCK -> decision instanceof ConvergencePolicy.GiveUp;
            case ON_REQUEST, OFF -> false;
        };
    }

    /**
     * The switch to post-copy and all that follows: the guest is paused here for good and resumes on the target
     * before the pages dirtied since they were last sent are there.
     */
    private MigrationReport postcopy(MigrationTransport link, PageSender sender, long[][] dirty, int round, Hello hello)
            throws MigrationFailure {
        enter(Phase.POSTCOPY_SWITCH, link, sender, round, vm.throttle());
        vm.pauseVcpus();
        stats.paused();
        boolean precopied = dirty != null;
        if (precopied) {
            SlotPages.readDirtyLog(vm, dirty, true);
            vm.logDirtyPages(false);
            vm.setThrottle(0);
        } else {
            dirty = SlotPages.holdingData(vm);
        }
        PostcopySource postcopy = new PostcopySource(vm, stats, config.postcopy().recoveryTimeout(),
                config.nanoClock());
        // From here a failure may leave the target running the guest: this copy must never run again.
        postcopyStarted = true;
        postcopy.switchOver(link, dirty, Math.max(0, round - 1), precopied, vm.saveVcpus());
        Hello again = hello.toBuilder().setRecover(true).build();
        Ack ack = postcopy.complete(link, sender, round,
                () -> destination.open(again, config, limits, 0, Checkpoint.NONE),
                () -> enter(Phase.POSTCOPY, link, sender, round, 0));
        enter(Phase.VERIFY, link, sender, round, 0);
        long sourceDigest = postcopy.verify(ack);
        // Rounds after the first pass, as pre-copy counts them; none is a stop-and-copy here.
        stats.digests(sourceDigest, ack.getTargetDigest(), Math.max(0, round - 1), postcopy.sent(sender.total()),
                postcopy.bytesWritten(link));
        link.commit();
        phase = Phase.DONE;
        return stats.report(vm, "completed", "");
    }

    private void enter(Phase next, MigrationTransport link, PageSender sender, int round, int throttle) {
        phase = next;
        stats.report(listener, phase, round, link, sender, throttle);
    }

    private Checkpoint checkpoint(long start) {
        return () -> {
            if (cancelled) {
                throw MigrationFailure.cancelled("the migration was cancelled");
            }
            if (Thread.currentThread().isInterrupted()) {
                throw MigrationFailure.cancelled("the migration thread was interrupted");
            }
            if (!config.timeout().isZero() && config.nanoClock().getAsLong() - start > config.timeout().toNanos()) {
                MigrationTransport link = openLink;
                long sent = link == null ? 0 : link.bytesWritten() + link.bytesInFlight();
                // A cap that carried at least half of what it allows in the timeout is what ran the time out; the
                // pacing itself usually says so first, but a slow moment between frames can beat it to the deadline.
                long cap = limits.maxBandwidth();
                if (cap > 0 && sent >= cap * config.timeout().toMillis() / 2000) {
                    throw MigrationFailure.timedOut(BandwidthCap.ranOut(cap, config.timeout(), sent));
                }
                throw MigrationFailure.failed("the migration did not finish within " + config.timeout().toSeconds() + " s");
            }
        };
    }

    private long deadline(long start) {
        return config.timeout().isZero() ? 0 : start + config.timeout().toNanos();
    }

    private Hello hello(int channels) {
        byte[] session = new byte[16];
        new SecureRandom().nextBytes(session);
        VersionNegotiator versions = new VersionNegotiator();
        Capabilities.Builder capabilities = Capabilities.newBuilder()
                .setMte(vm.layout().mte())
                .setPageSize(vm.layout().pageSize().bytes())
                .setMaxChannels(channels)
                .addCompressionCodecs(CompressionCodec.COMPRESSION_CODEC_NONE);
        if (config.zstd()) {
            capabilities.addCompressionCodecs(CompressionCodec.COMPRESSION_CODEC_ZSTD);
        }
        return Hello.newBuilder().setProtocolVersion(VersionNegotiator.CURRENT)
                .addAllAcceptedVersions(versions.acceptedVersions()).setCapabilities(capabilities)
                .setChannelCount(channels).setSessionId(ByteString.copyFrom(session))
                .setSoftware(Protocol.SOFTWARE).setPostcopy(config.postcopy().armed()).build();
    }

    /**
     * After a failure: no dirty logging, no throttle, and the guest running again where it stopped, unless
     * Release was sent: then the target may own the guest, and this copy stays paused rather than risk two.
     */
    private String recover() {
        vm.logDirtyPages(false);
        vm.setThrottle(0);
        if (releaseSent) {
            return "; the target did not confirm the release, so it may be running the guest: the source copy stays"
                    + " paused, resume it only after checking the target";
        }
        if (postcopyStarted) {
            return "; the migration had switched to post-copy, so the target may run the guest, whose memory is"
                    + " partly only here: the source copy stays paused, as the guest was at the switch";
        }
        if (vm.vcpusPaused()) {
            vm.resumeVcpus();
        }
        return "";
    }
}
