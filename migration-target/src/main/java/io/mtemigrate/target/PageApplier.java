package io.mtemigrate.target;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.tagstream.tags.TagKind;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.digest.RamDigest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Writes page batches into the target VM: data straight from the frame into the memslot's memory (the one copy
 * on this side), tags with one {@code copyMteTags(TO_GUEST)} per batch, and the hash of each page as it now is
 * into the incremental digest. One applier per channel; channels work on disjoint pages.
 */
final class PageApplier {
    private final KvmVm vm;
    private final List<UserMemoryRegion> slots;
    private final PageBits[] touched;
    private final PageDigests digests;
    private ByteBuffer tags;
    private final int pageSize;

    PageApplier(KvmVm vm, PageBits[] touched, PageDigests digests) {
        this.vm = vm;
        this.slots = vm.memslots();
        this.touched = touched;
        this.digests = digests;
        this.pageSize = vm.pageSize().bytes();
        // Sized for the batches a source sends; a larger batch (the limits allow up to 16,384 pages) grows it.
        this.tags = tagBuffer(Protocol.pagesPerBatch(pageSize) * vm.pageSize().tagsPerPage());
    }

    /** @return pages applied */
    int apply(PageBatch batch) {
        int slotIndex = slotIndex(batch.slot());
        UserMemoryRegion slot = slots.get(slotIndex);
        long slotPages = slot.memorySize() / pageSize;
        if (batch.pageSize() != pageSize) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "batch of " + batch.pageSize()
                    + "-byte pages for a VM with " + pageSize + "-byte pages");
        }
        if (batch.firstPage() < 0 || batch.firstPage() + batch.pageCount() > slotPages) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "pages " + batch.firstPage() + ".."
                    + (batch.firstPage() + batch.pageCount() - 1) + " lie beyond slot " + batch.slot() + "'s "
                    + slotPages + " pages");
        }
        HostMemory memory = slot.memory();
        boolean mte = vm.mteEnabled();
        if (applyFreshZeros(batch, slotIndex, slot, mte)) {
            return batch.pageCount();
        }
        boolean anyTags = false;
        for (int i = 0; i < batch.pageCount(); i++) {
            long page = batch.firstPage() + i;
            long offset = slot.memoryOffset() + page * pageSize;
            // A fresh target page already reads as zero: writing zeros there would only commit host memory.
            boolean fresh = !touched[slotIndex].get(page);
            boolean zero = batch.isZeroPage(i);
            if (!(zero && fresh)) {
                try {
                    batch.copyPageData(i, memory.chunk(offset), HostMemory.offsetInChunk(offset), true);
                } catch (FrameException e) {
                    throw new MigrationAbort(ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH, e.getMessage(), e);
                }
                touched[slotIndex].set(page);
            }
            boolean taggedPage = batch.tagKind(i) != TagKind.ZERO;
            if (taggedPage && fresh) {
                // Non-zero tags make the page no longer fresh even with zero data: a later all-zero copy of it
                // must overwrite those tags.
                touched[slotIndex].set(page);
            }
            anyTags |= taggedPage || !fresh;
        }
        ByteBuffer pageTags = null;
        if (mte) {
            int tagBytes = batch.pageCount() * vm.pageSize().tagsPerPage();
            if (tags.capacity() < tagBytes) {
                tags = tagBuffer(tagBytes);
            }
            pageTags = tags;
            batch.decodeTags(tags.clear(), 0);
            if (anyTags) {
                long ipa = slot.guestPhysAddr() + batch.firstPage() * pageSize;
                long length = (long) batch.pageCount() * pageSize;
                long done = vm.copyMteTags(ipa, length, tags.clear().limit(tagBytes), KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
                if (done != length) {
                    throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "KVM_ARM_MTE_COPY_TAGS wrote tags of "
                            + done + " of " + length + " bytes at IPA 0x" + Long.toHexString(ipa));
                }
            }
        }
        int tagsPerPage = vm.pageSize().tagsPerPage();
        for (int i = 0; i < batch.pageCount(); i++) {
            long page = batch.firstPage() + i;
            long offset = slot.memoryOffset() + page * pageSize;
            long hash = touched[slotIndex].get(page)
                    ? RamDigest.pageHash(slot.slot(), page, memory.chunk(offset), HostMemory.offsetInChunk(offset),
                    pageSize, pageTags, i * tagsPerPage)
                    : RamDigest.zeroPageHash(slot.slot(), page, pageSize, pageTags, i * tagsPerPage);
            digests.update(slotIndex, page, hash);
        }
        return batch.pageCount();
    }

    /**
     * A batch without data or tag bytes is all zero pages; onto pages never touched here (which read as zero
     * already) it needs nothing but the digest. False, having changed nothing, when that does not hold.
     */
    private boolean applyFreshZeros(PageBatch batch, int slotIndex, UserMemoryRegion slot, boolean mte) {
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
            digests.update(slotIndex, page, RamDigest.zeroPageHash(slot.slot(), page, pageSize, mte));
        }
        return true;
    }

    private static ByteBuffer tagBuffer(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private int slotIndex(int slotId) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).slot() == slotId) {
                return i;
            }
        }
        throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "pages for memslot " + slotId
                + ", which the layout does not have");
    }
}
