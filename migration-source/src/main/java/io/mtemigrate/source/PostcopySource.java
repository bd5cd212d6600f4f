package io.mtemigrate.source;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageSets;
import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.PostcopyEnd;
import io.mtemigrate.proto.PostcopyStart;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The source's side of post-copy, from the switch on. The guest is paused here for good, so its memory is frozen:
 * any page can be sent at any time, and a page sent twice is the same page. The migration thread pushes the pages
 * the target lacks over the data channels while {@link RequestServer} answers the target's page requests on the
 * post-copy channel, ahead of the push. The target's digest, once every page is in, must equal the digest of this
 * frozen memory: that proves no page and no dirty bit was lost.
 */
final class PostcopySource {
    private final MigratableVm vm;
    private final MigrationStats stats;
    private final long[] slotPages;
    /** The pages the target lacks: set at the switch, replaced by the target's own account after a recovery. */
    private long[][] owed;
    /** The full digest of the frozen memory, taken on a thread of its own while the pages go out. */
    private CompletableFuture<Long> frozenDigest;

    PostcopySource(MigratableVm vm, MigrationStats stats, PageSender sender) {
        this.vm = vm;
        this.stats = stats;
        this.slotPages = new long[sender.slotCount()];
        for (int s = 0; s < slotPages.length; s++) {
            slotPages[s] = sender.slotPages(s);
        }
    }

    /**
     * Tells the target to run the guest: its vCPU states, the pages it lacks, PostcopyStart. The vCPUs are paused and
     * {@code owed} holds every page dirtied since it was last sent. Once this returns, or throws after PostcopyStart
     * may have left, the guest lives on both hosts.
     */
    void switchOver(MigrationTransport link, long[][] owed, int rounds, List<VcpuSnapshot> states) throws MigrationFailure {
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
                .setRounds(rounds).setPagesToCome(pages).setVcpuStateDigest(VmDigests.vcpus(states))).build());
        frozenDigest = CompletableFuture.supplyAsync(() -> VmDigests.ram(vm),
                task -> Thread.ofPlatform().name("src-digest").daemon().start(task));
    }

    /**
     * Waits for the target's resume, pushes every page it lacks while the request server answers its faults, and
     * returns the target's Ack once every page is in there.
     */
    Ack complete(MigrationTransport link, PageSender pusher, int round) throws MigrationFailure {
        ControlMessage resumed = link.awaitControl(0, Checkpoint.NONE);
        if (!resumed.hasPostcopyResumed()) {
            throw MigrationFailure.failed("the target answered PostcopyStart with " + TargetLink.describe(resumed));
        }
        stats.resumedOnTarget();
        PageBits[] sent = new PageBits[slotPages.length];
        for (int s = 0; s < sent.length; s++) {
            sent[s] = new PageBits(slotPages[s]);
        }
        try (RequestServer requests = RequestServer.start(vm, link, sent, slotPages)) {
            push(link, pusher, sent, round, requests);
            link.sendControl(0, ControlMessage.newBuilder().setPostcopyEnd(PostcopyEnd.newBuilder()
                    .setRamTagsDigest(frozenDigest()).setPagesPushed(pusher.total().pages())).build());
            ControlMessage answer = link.awaitControl(0, requests::throwIfFailed);
            if (!answer.hasAck() || !answer.getAck().getResumed()) {
                throw MigrationFailure.failed("the target answered PostcopyEnd with " + TargetLink.describe(answer));
            }
            stats.postcopyFaults(answer.getAck().getPostcopyFaults(), requests.served());
            return answer.getAck();
        }
    }

    /** The pages still owed that no request has sent yet, in runs inside one batch group, over the data channels. */
    private void push(MigrationTransport link, PageSender pusher, PageBits[] sent, int round, RequestServer requests)
            throws MigrationFailure {
        int group = pusher.pagesPerBatch();
        for (int s = 0; s < owed.length; s++) {
            long[] words = owed[s];
            long pages = slotPages[s];
            long page = 0;
            while (page < pages) {
                long word = words[(int) (page >>> 6)] >>> page;
                if (word == 0) {
                    page = (page | 63) + 1;
                    continue;
                }
                page += Long.numberOfTrailingZeros(word);
                long groupEnd = Math.min(pages, (page / group + 1) * group);
                long end = page;
                while (end < groupEnd && (words[(int) (end >>> 6)] & (1L << end)) != 0 && sent[s].claim(end)) {
                    end++;
                }
                if (end > page) {
                    pusher.sendRun(s, page, (int) (end - page), round, requests::throwIfFailed);
                }
                // The page that stopped the run was sent by a request, or is not owed: go on after it.
                page = Math.max(end, page + 1);
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
