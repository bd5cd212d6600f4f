package io.mtemigrate.source;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.PageSets;
import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.PostcopyEnd;
import io.mtemigrate.proto.PostcopyRecovered;
import io.mtemigrate.proto.PostcopyStart;
import io.mtemigrate.tagstream.frame.BatchCounters;
import io.mtemigrate.vmsim.BitRanges;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The source's side of post-copy, from the switch on. The guest is paused here for good, so its memory is frozen:
 * any page can be sent at any time, and a page sent twice is the same page. The migration thread pushes the pages
 * the target lacks over the data channels while {@link RequestServer} answers the target's page requests on the
 * post-copy channel, ahead of the push. The target's digest, once every page is in, must equal the digest of this
 * frozen memory: that proves no page and no dirty bit was lost.
 */
final class PostcopySource {
    private final MigratableVm vm;
    private static final long RETRY_NANOS = 250_000_000;

    private final MigrationStats stats;
    private final Duration recoveryTimeout;
    private final LongSupplier clock;
    private final long[] slotPages;
    /** The pages the target lacks: set at the switch, replaced by the target's own account after a recovery. */
    private long[][] owed;
    /** What went out after the switch besides the first pusher's: answers to requests, pushes after a recovery. */
    private final BatchCounters alsoSent = new BatchCounters();
    /** Bytes written on the links a recovery opened. */
    private long alsoWritten;
    /** The full digest of the frozen memory, taken on a thread of its own while the pages go out. */
    private CompletableFuture<Long> frozenDigest;

    PostcopySource(MigratableVm vm, MigrationStats stats, Duration recoveryTimeout, LongSupplier clock) {
        this.vm = vm;
        this.recoveryTimeout = recoveryTimeout;
        this.clock = clock;
        this.stats = stats;
        this.slotPages = PageSets.pagesPerSlot(vm.layout());
    }

    /**
     * Tells the target to run the guest: its vCPU states, the pages it lacks, PostcopyStart. The vCPUs are paused and
     * {@code owed} holds every page dirtied since it was last sent. Once this returns, or throws after PostcopyStart
     * may have left, the guest lives on both hosts.
     */
    void switchOver(MigrationTransport link, long[][] owed, int rounds, boolean precopied, List<VcpuSnapshot> states)
            throws MigrationFailure {
        this.owed = owed;
        for (VcpuSnapshot state : states) {
            link.sendControl(0, ControlMessage.newBuilder().setVcpuState(WireForms.vcpuState(state)).build());
        }
        for (ControlMessage set : PageSets.messages(owed)) {
            link.sendControl(0, set);
        }
        long pages = PageSets.count(owed);
        stats.switchedToPostcopy(pages);
        link.endDeadline();
        link.sendControl(0, ControlMessage.newBuilder().setPostcopyStart(PostcopyStart.newBuilder()
                .setRounds(rounds).setPagesToCome(pages).setVcpuStateDigest(VmDigests.vcpus(states))
                .setPrecopied(precopied)).build());
    }

    /** The guest runs on the target: now the frozen memory's digest may take a core, outside the downtime. */
    private void targetResumed(Runnable onResumed) {
        stats.resumedOnTarget();
        frozenDigest = CompletableFuture.supplyAsync(() -> VmDigests.ram(vm),
                task -> Thread.ofPlatform().name("src-digest").daemon().start(task));
        onResumed.run();
    }

    /** Opens the connections again for a recovery: same session, Hello.recover set. */
    @FunctionalInterface
    interface Reconnect {
        MigrationTransport open() throws MigrationFailure;
    }

    /**
     * Waits for the target's resume, pushes every page it lacks while the request server answers its faults, and
     * returns the target's Ack once every page is in there. A lost connection is made again, for up to the
     * recovery timeout, and the pages the target then still lacks are sent; the links this opens it closes.
     */
    Ack complete(MigrationTransport first, PageSender firstPusher, int round, Reconnect reconnect, Runnable onResumed)
            throws MigrationFailure {
        MigrationTransport link = first;
        PageSender pusher = firstPusher;
        boolean resumed = false;
        try {
            while (true) {
                try {
                    if (!resumed) {
                        ControlMessage answer = link.awaitControl(0, Checkpoint.NONE);
                        if (!answer.hasPostcopyResumed()) {
                            throw MigrationFailure.failed("the target answered PostcopyStart with "
                                    + TargetLink.describe(answer));
                        }
                        resumed = true;
                        targetResumed(onResumed);
                    }
                    return pushAndAwaitAck(link, pusher, round);
                } catch (MigrationFailure failure) {
                    if (!failure.linkLost()) {
                        throw failure;
                    }
                    if (link == first) {
                        link.close();
                    } else {
                        retire(link, pusher);
                    }
                    link = first;
                    pusher = firstPusher;
                    link = recover(failure, reconnect);
                    pusher = new PageSender(vm, link, new PageDigests(vm.layout()), false);
                    // A target that could take the migration up again had resumed the guest.
                    if (!resumed) {
                        resumed = true;
                        targetResumed(onResumed);
                    }
                }
            }
        } finally {
            // The first link and its sender are the caller's to close.
            if (link != first) {
                retire(link, pusher);
            }
        }
    }

    /** Closes a link a recovery opened, and its sender, keeping what they carried for the report. */
    private void retire(MigrationTransport link, PageSender pusher) {
        alsoSent.add(pusher.total());
        pusher.close();
        link.close();
        alsoWritten += link.bytesWritten();
    }

    private Ack pushAndAwaitAck(MigrationTransport link, PageSender pusher, int round) throws MigrationFailure {
        PageBits[] sent = new PageBits[slotPages.length];
        for (int s = 0; s < sent.length; s++) {
            sent[s] = new PageBits(slotPages[s]);
        }
        RequestServer requests = RequestServer.start(vm, link, sent, slotPages);
        try {
            push(pusher, sent, round, requests);
            link.sendControl(0, ControlMessage.newBuilder().setPostcopyEnd(PostcopyEnd.newBuilder()
                    .setRamTagsDigest(frozenDigest()).setPagesPushed(pusher.total().pages())).build());
            ControlMessage answer = link.awaitControl(0, requests::throwIfFailed);
            if (!answer.hasAck() || !answer.getAck().getResumed()) {
                throw MigrationFailure.failed("the target answered PostcopyEnd with " + TargetLink.describe(answer));
            }
            stats.postcopyFaults(answer.getAck().getPostcopyFaults(), requests.served());
            return answer.getAck();
        } finally {
            requests.close();
            alsoSent.add(requests.total());
        }
    }

    /** Bytes on the wire: {@code first}'s and those of the links recoveries opened. */
    long bytesWritten(MigrationTransport first) {
        return first.bytesWritten() + alsoWritten;
    }

    /** Everything sent: {@code first}'s pages (the pre-copy and the first push) and what went out besides. */
    BatchCounters sent(BatchCounters first) {
        return new BatchCounters().add(first).add(alsoSent);
    }

    /**
     * Makes the connections again until the recovery timeout runs out, then learns from the target which pages it
     * still lacks: those are the new debt. A target that refuses outright has given the guest up.
     */
    private MigrationTransport recover(MigrationFailure lost, Reconnect reconnect) throws MigrationFailure {
        long deadline = clock.getAsLong() + recoveryTimeout.toNanos();
        MigrationFailure last = lost;
        while (clock.getAsLong() - deadline < 0) {
            try {
                MigrationTransport link = reconnect.open();
                try {
                    owed = missingOn(link);
                    stats.recovered();
                    return link;
                } catch (MigrationFailure | RuntimeException e) {
                    link.close();
                    throw e;
                }
            } catch (MigrationFailure e) {
                if (e.refusedByTarget()) {
                    throw MigrationFailure.failed("the connection was lost after the switch to post-copy ("
                            + lost.getMessage() + ") and the target would not take the migration up again: "
                            + e.getMessage() + "; the guest is lost", e);
                }
                last = e;
                LockSupport.parkNanos(RETRY_NANOS);
            }
        }
        throw MigrationFailure.failed("the connection was lost after the switch to post-copy (" + lost.getMessage()
                + ") and could not be made again within " + recoveryTimeout.toSeconds() + " s (last: "
                + last.getMessage() + "); the guest is lost unless the target still waits", last);
    }

    /** Says every channel is back and reads the PageSets of the pages the target still lacks. */
    private long[][] missingOn(MigrationTransport link) throws MigrationFailure {
        link.sendControl(0, ControlMessage.newBuilder().setPostcopyRecovered(PostcopyRecovered.getDefaultInstance()).build());
        long[][] missing = PageSets.empty(slotPages);
        while (true) {
            ControlMessage message = link.awaitControl(0, Checkpoint.NONE);
            if (message.hasPageSet()) {
                try {
                    PageSets.add(missing, message.getPageSet(), slotPages);
                } catch (IllegalArgumentException e) {
                    throw MigrationFailure.badPeer("the target's missing pages: " + e.getMessage());
                }
            } else if (message.hasPostcopyResend()) {
                if (message.getPostcopyResend().getPagesMissing() != PageSets.count(missing)) {
                    throw MigrationFailure.badPeer("the target says it lacks " + message.getPostcopyResend()
                            .getPagesMissing() + " pages, its page sets " + PageSets.count(missing));
                }
                return missing;
            } else {
                throw MigrationFailure.failed("the target answered PostcopyRecovered with " + TargetLink.describe(message));
            }
        }
    }

    /** The pages still owed that no request has sent yet, in runs inside one batch group, over the data channels. */
    private void push(PageSender pusher, PageBits[] sent, int round, RequestServer requests)
            throws MigrationFailure {
        int group = pusher.pagesPerBatch();
        for (int s = 0; s < owed.length; s++) {
            long[] words = owed[s];
            long pages = slotPages[s];
            long page = BitRanges.nextSet(words, 0, pages);
            while (page < pages) {
                long groupEnd = Math.min(pages, (page / group + 1) * group);
                long end = page;
                while (end < groupEnd && BitRanges.isSet(words, end) && sent[s].claim(end)) {
                    end++;
                }
                if (end > page) {
                    pusher.sendRun(s, page, (int) (end - page), round, requests::throwIfFailed);
                }
                // The page that stopped the run was sent by a request, or is not owed: go on after it.
                page = BitRanges.nextSet(words, Math.max(end, page + 1), pages);
            }
        }
    }

    private long frozenDigest() throws MigrationFailure {
        try {
            return frozenDigest.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw MigrationFailure.failed("interrupted while digesting the source's memory", e);
        } catch (ExecutionException e) {
            throw MigrationFailure.failed("digesting the source's memory failed: " + e.getCause(), e.getCause());
        }
    }

    /** The source's check of the target's final digest against its frozen memory's. */
    long verify(Ack ack) throws MigrationFailure {
        long source = frozenDigest();
        if (source != ack.getTargetDigest()) {
            throw MigrationFailure.digestMismatch("after post-copy the target's RAM+tags digest "
                    + RamDigest.hex(ack.getTargetDigest()) + " differs from the source's frozen memory's "
                    + RamDigest.hex(source) + "; the target stopped its guest");
        }
        return source;
    }
}
