package io.mtemigrate.incoming;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.tagstream.tags.TagKind;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.PageFingerprint;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;

import java.lang.foreign.MemorySegment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Writes page batches into the target VM. Raw pages are already in guest memory when a batch gets here: they
 * landed straight from the socket at {@link #destinationOf} (a {@code LandingReceiver}); compressed pages are
 * decompressed into it, and pages that became zero are zeroed. Tags go in with one {@code copyMteTags(TO_GUEST)}
 * per batch. Then each page's fingerprint is taken from guest memory as it now is, while it is in cache, into the
 * incremental digest: what landed, not what the frame said. One applier per channel; channels work on disjoint
 * pages.
 */
final class PageApplier {
    /** The VM's tag copier, or null without MTE. */
    private final MteTagCopier tagCopier;
    private final PageSize pageSizes;
    private final List<RamSlot> slots;
    private final PageBits[] touched;
    private final PageDigests digests;
    private final PageFingerprint fingerprint = new PageFingerprint();
    private ByteBuffer tags;
    private final int pageSize;

    PageApplier(MigratableVm vm, PageBits[] touched, PageDigests digests) {
        this.tagCopier = vm.tags().orElse(null);
        this.pageSizes = vm.layout().pageSize();
        this.slots = vm.ramSlots();
        this.touched = touched;
        this.digests = digests;
        this.pageSize = pageSizes.bytes();
        // Sized for the batches a source sends; a larger batch (the limits allow up to 16,384 pages) grows it.
        this.tags = tagBuffer(Protocol.pagesPerBatch(pageSize) * pageSizes.tagsPerPage());
    }

    /** Checks the batch against the VM and gives the guest memory its pages land in. */
    MemorySegment destinationOf(PageBatch batch) {
        RamSlot slot = slots.get(checkedSlotIndex(batch));
        return slot.segment().asSlice(batch.firstPage() * pageSize, (long) batch.pageCount() * pageSize);
    }

    private int checkedSlotIndex(PageBatch batch) {
        int slotIndex = slotIndex(batch.slot());
        long slotPages = slots.get(slotIndex).size() / pageSize;
        if (batch.pageSize() != pageSize) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "batch of " + batch.pageSize()
                    + "-byte pages for a VM with " + pageSize + "-byte pages");
        }
        if (batch.firstPage() < 0 || batch.firstPage() + batch.pageCount() > slotPages) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "pages " + batch.firstPage() + ".."
                    + (batch.firstPage() + batch.pageCount() - 1) + " lie beyond slot " + batch.slot() + "'s "
                    + slotPages + " pages");
        }
        return slotIndex;
    }

    /** @return pages applied */
    int apply(PageBatch batch) {
        int slotIndex = checkedSlotIndex(batch);
        RamSlot slot = slots.get(slotIndex);
        boolean mte = tagCopier != null;
        if (applyFreshZeros(batch, slotIndex, slot, mte)) {
            return batch.pageCount();
        }
        boolean anyTags = false;
        for (int i = 0; i < batch.pageCount(); i++) {
            long page = batch.firstPage() + i;
            long offset = page * pageSize;
            // A fresh target page already reads as zero: writing zeros there would only commit host memory.
            boolean fresh = !touched[slotIndex].get(page);
            boolean landed = batch.isDataRaw(i) && !batch.hasPayload();
            if (!landed && !(batch.isZeroPage(i) && fresh)) {
                try {
                    batch.copyPageData(i, slot.chunk(offset), slot.offsetInChunk(offset), true);
                } catch (FrameException e) {
                    throw new MigrationAbort(ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH, e.getMessage(), e);
                }
            }
            boolean taggedPage = batch.tagKind(i) != TagKind.ZERO;
            // Non-zero tags make a page no longer fresh even with zero data: a later all-zero copy of it must
            // overwrite those tags.
            if (!batch.isZeroPage(i) || !fresh) {
                touched[slotIndex].set(page);
            }
            anyTags |= taggedPage || !fresh;
        }
        ByteBuffer pageTags = null;
        if (mte) {
            int tagBytes = batch.pageCount() * pageSizes.tagsPerPage();
            if (tags.capacity() < tagBytes) {
                tags = tagBuffer(tagBytes);
            }
            pageTags = tags;
            batch.decodeTags(tags.clear(), 0);
            if (anyTags) {
                long ipa = slot.guestPhysAddr() + batch.firstPage() * pageSize;
                long length = (long) batch.pageCount() * pageSize;
                long done = tagCopier.copyMteTags(ipa, length, tags.clear().limit(tagBytes), KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
                if (done != length) {
                    throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "KVM_ARM_MTE_COPY_TAGS wrote tags of "
                            + done + " of " + length + " bytes at IPA 0x" + Long.toHexString(ipa));
                }
            }
        }
        int tagsPerPage = pageSizes.tagsPerPage();
        for (int i = 0; i < batch.pageCount(); i++) {
            long page = batch.firstPage() + i;
            long offset = page * pageSize;
            long hash = touched[slotIndex].get(page)
                    ? fingerprint.page(slot.id(), page, slot.chunk(offset), slot.offsetInChunk(offset),
                    pageSize, pageTags, i * tagsPerPage)
                    : fingerprint.zeroDataPage(slot.id(), page, pageSize, pageTags, i * tagsPerPage);
            digests.update(slotIndex, page, hash);
        }
        return batch.pageCount();
    }

    /**
     * A batch without data or tag bytes is all zero pages; onto pages never touched here (which read as zero
     * already) it needs nothing but the digest. False, having changed nothing, when that does not hold.
     */
    private boolean applyFreshZeros(PageBatch batch, int slotIndex, RamSlot slot, boolean mte) {
        if (batch.pageDataBytes() != 0 || batch.tagBytes() != 0) {
            return false;
        }
        PageBits pages = touched[slotIndex];
        for (int i = 0; i < batch.pageCount(); i++) {
            if (pages.get(batch.firstPage() + i)) {
                return false;
            }
        }
        for (int i = 0; i < batch.pageCount(); i++) {
            long page = batch.firstPage() + i;
            digests.update(slotIndex, page, RamDigest.zeroPageHash(slot.id(), page, pageSize, mte));
        }
        return true;
    }

    private static ByteBuffer tagBuffer(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private int slotIndex(int slotId) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).id() == slotId) {
                return i;
            }
        }
        throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "pages for memslot " + slotId
                + ", which the layout does not have");
    }
}
