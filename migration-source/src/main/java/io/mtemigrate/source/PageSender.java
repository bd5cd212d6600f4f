package io.mtemigrate.source;

import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.frame.BatchCounters;
import io.mtemigrate.tagstream.frame.EncoderConfig;
import io.mtemigrate.tagstream.frame.PageBatchEncoder;
import io.mtemigrate.vmsim.BitRanges;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.digest.PageFingerprint;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads pages and their tags from the source VM and sends them as batch frames: per batch one
 * {@code copyMteTags(FROM_GUEST)} over exactly the batch's pages and one read of each page, for its fingerprint
 * (into the incremental digest) and to bring it into cache for the kernel's copy; the frame's payload is the
 * guest's memory itself, never copied here. Memory the guest never wrote is found as holes of its memory file,
 * the way a VMM finds them, and sent as zero pages without being read. Runs on the migration thread only.
 */
final class PageSender implements AutoCloseable {
    /** The VM's tag copier, or null without MTE. */
    private final MteTagCopier tagCopier;
    private final List<RamSlot> slots;
    private final MigrationTransport link;
    private final PageDigests digests;
    private final PageBatchEncoder encoder;
    private final ByteBuffer tags;
    private final int[] dataCrcs;
    private final PageFingerprint fingerprint = new PageFingerprint();
    private final int pageSize;
    private final int tagsPerPage;
    private final int pagesPerBatch;
    /** Pages one zero frame may carry, in whole batches. */
    private final int maxZeroRun;
    private final BatchCounters total = new BatchCounters();
    private final long[] pagesThisRound;
    /** Frames go on the post-copy channel, at once: the pages answer a waiting vCPU. */
    private final boolean urgent;
    private long pagesSentInPass;

    PageSender(MigratableVm vm, MigrationTransport link, PageDigests digests, boolean zstd) {
        this(vm, link, digests, zstd, false);
    }

    /** A sender for the pages that answer post-copy requests: on its own thread, with its own encoder and digests. */
    static PageSender urgent(MigratableVm vm, MigrationTransport link) {
        return new PageSender(vm, link, new PageDigests(vm.layout()), false, true);
    }

    private PageSender(MigratableVm vm, MigrationTransport link, PageDigests digests, boolean zstd, boolean urgent) {
        this.urgent = urgent;
        this.tagCopier = vm.tags().orElse(null);
        this.slots = vm.ramSlots();
        this.link = link;
        this.digests = digests;
        this.pageSize = vm.layout().pageSize().bytes();
        this.tagsPerPage = vm.layout().pageSize().tagsPerPage();
        this.pagesPerBatch = Protocol.pagesPerBatch(pageSize);
        this.maxZeroRun = Protocol.LIMITS.maxPagesPerBatch() / pagesPerBatch * pagesPerBatch;
        EncoderConfig config = EncoderConfig.defaults().withLimits(Protocol.LIMITS);
        this.encoder = new PageBatchEncoder(zstd ? config.withPageCompression(Compression.zstd(1)) : config);
        // A VM without MTE sends all-zero tags, which cost one flag per page on the wire.
        this.tags = ByteBuffer.allocateDirect(pagesPerBatch * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN);
        this.pagesThisRound = new long[link.channelCount()];
        this.dataCrcs = new int[pagesPerBatch];
    }

    int pagesPerBatch() {
        return pagesPerBatch;
    }

    int slotCount() {
        return slots.size();
    }

    long slotPages(int slotIndex) {
        return slots.get(slotIndex).size() / pageSize;
    }

    BatchCounters total() {
        return total;
    }

    long pagesSentInPass() {
        return pagesSentInPass;
    }

    /**
     * The first pass: every page of every slot. Holes of the memory file go as zero frames without a read; the
     * data between them in batches that each stay inside one batch-aligned group of pages.
     */
    void sendAll(long round, Checkpoint checkpoint) throws MigrationFailure {
        pagesSentInPass = 0;
        for (int s = 0; s < slots.size(); s++) {
            RamSlot slot = slots.get(s);
            long pages = slotPages(s);
            long page = 0;
            while (page < pages) {
                long dataAt = slot.nextData(page * pageSize);
                // Host pages may be smaller than guest pages: a guest page with any data in it is sent as data.
                long dataPage = Math.min(pages, dataAt / pageSize);
                while (page < dataPage) {
                    int count = (int) Math.min(maxZeroRun, dataPage - page);
                    sendHoles(s, page, count, round, checkpoint);
                    page += count;
                }
                if (page >= pages) {
                    break;
                }
                long holeAt = slot.nextHole(dataAt);
                long dataEnd = Math.min(pages, (holeAt + pageSize - 1) / pageSize);
                while (page < dataEnd) {
                    long groupEnd = (page / pagesPerBatch + 1) * pagesPerBatch;
                    int count = (int) (Math.min(groupEnd, dataEnd) - page);
                    sendRun(s, page, count, round, checkpoint);
                    page += count;
                }
            }
        }
    }

    /**
     * Sends the pages whose bits are set, as runs of adjacent pages that stay inside one batch-aligned group (so
     * each run maps to one channel).
     */
    void sendDirty(long round, long[][] bitmaps, Checkpoint checkpoint) throws MigrationFailure {
        pagesSentInPass = 0;
        for (int s = 0; s < bitmaps.length; s++) {
            long[] bitmap = bitmaps[s];
            long pages = slotPages(s);
            long page = BitRanges.nextSet(bitmap, 0, pages);
            while (page < pages) {
                long groupEnd = Math.min(pages, (page / pagesPerBatch + 1) * pagesPerBatch);
                long end = page + 1;
                while (end < groupEnd && BitRanges.isSet(bitmap, end)) {
                    end++;
                }
                sendRun(s, page, (int) (end - page), round, checkpoint);
                page = BitRanges.nextSet(bitmap, end, pages);
            }
        }
    }

    /** Sends {@code count} adjacent pages of one batch-aligned group (a run {@link #sendDirty} would make). */
    void sendRun(int slotIndex, long first, int count, long round, Checkpoint checkpoint) throws MigrationFailure {
        RamSlot slot = slots.get(slotIndex);
        long offset = first * pageSize;
        checkpoint.check();
        long ipa = slot.guestPhysAddr() + first * pageSize;
        long length = (long) count * pageSize;
        boolean mte = tagCopier != null;
        if (mte) {
            long done = tagCopier.copyMteTags(ipa, length, tags.clear(), KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            if (done != length) {
                throw MigrationFailure.failed("KVM_ARM_MTE_COPY_TAGS read tags of " + done + " of " + length
                        + " bytes at IPA 0x" + Long.toHexString(ipa));
            }
        }
        ByteBuf frame = encoder.encode(link.alloc(), slot.id(), round, first, count, pageSize,
                slot.chunk(offset), slot.offsetInChunk(offset), tags, 0, dataCrcs);
        for (int i = 0; i < count; i++) {
            int tagCrc = mte ? fingerprint.tagCrc(tags, i * tagsPerPage, tagsPerPage) : 0;
            digests.update(slotIndex, first + i, RamDigest.combine(slot.id(), first + i, dataCrcs[i], tagCrc));
        }
        ship(slotIndex, first, count, frame, checkpoint);
    }

    private void ship(int slotIndex, long first, int count, ByteBuf frame, Checkpoint checkpoint) throws MigrationFailure {
        total.add(encoder.lastBatch());
        if (urgent) {
            link.sendUrgent(frame);
            pagesSentInPass += count;
            return;
        }
        int channel = Protocol.channelFor(slotIndex, first, pagesPerBatch, link.channelCount());
        link.send(channel, frame, checkpoint);
        pagesThisRound[channel] += count;
        pagesSentInPass += count;
    }

    /**
     * Holes of the memory file: never touched, so zero in data and in tags (any guest access or TO_GUEST faults a
     * page in), and neither read nor tag-copied (reading a tmpfs hole would commit it). A write landing meanwhile
     * sets the page's dirty bit, so it is sent again in a later round.
     */
    private void sendHoles(int slotIndex, long first, int count, long round, Checkpoint checkpoint) throws MigrationFailure {
        checkpoint.check();
        RamSlot slot = slots.get(slotIndex);
        ByteBuf frame = encoder.encodeZeros(link.alloc(), slot.id(), round, first, count, pageSize);
        boolean mte = tagCopier != null;
        for (int i = 0; i < count; i++) {
            digests.update(slotIndex, first + i, RamDigest.zeroPageHash(slot.id(), first + i, pageSize, mte));
        }
        ship(slotIndex, first, count, frame, checkpoint);
    }

    /** Tells every channel that the round is over, with the pages it carried in it. */
    void endRound(long round) throws MigrationFailure {
        for (int channel = 0; channel < pagesThisRound.length; channel++) {
            RoundEnd.Builder end = RoundEnd.newBuilder().setRound(round).setPagesInRound(pagesThisRound[channel]);
            if (channel == 0) {
                end.setRamTagsDigest(digests.digest());
            }
            link.sendControl(channel, ControlMessage.newBuilder().setRoundEnd(end).build());
            pagesThisRound[channel] = 0;
        }
    }

    @Override
    public void close() {
        encoder.close();
    }
}
