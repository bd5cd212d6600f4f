package io.mtemigrate.incoming;

import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.migration.Protocol;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.PageFingerprint;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Installs the page batches of a post-copy. The guest runs, so a page cannot land in its memory from the socket
 * and then get its tags: the payload lands in this channel's staging buffer instead, and each page goes in with
 * its tags in one install (the proposed UFFDIO_COPY with MTE_TAGS, a kernel copy as QEMU's post-copy makes one).
 * The digest is taken from the staged bytes, which are what was installed: the guest may change the page at once.
 * One applier per channel.
 */
final class PostcopyApplier {
    private final PostcopyLanding landing;
    private final List<RamSlot> slots;
    private final PageDigests digests;
    private final PageFingerprint fingerprint = new PageFingerprint();
    private final boolean mte;
    private final int pageSize;
    private final int tagsPerPage;
    private final LongSupplier clock;
    private ByteBuffer staging;
    private ByteBuffer tags;
    private boolean[] mine;

    PostcopyApplier(MigratableVm vm, PostcopyLanding landing, PageDigests digests, LongSupplier clock) {
        PageSize sizes = vm.layout().pageSize();
        this.landing = landing;
        this.slots = vm.ramSlots();
        this.digests = digests;
        this.mte = vm.layout().mte();
        this.pageSize = sizes.bytes();
        this.tagsPerPage = sizes.tagsPerPage();
        this.clock = clock;
        grow(Protocol.pagesPerBatch(pageSize));
    }

    private void grow(int pages) {
        staging = ByteBuffer.allocateDirect(pages * pageSize).order(ByteOrder.LITTLE_ENDIAN);
        tags = ByteBuffer.allocateDirect(pages * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN);
        mine = new boolean[pages];
    }

    /** Checks the batch and gives the staging buffer its raw pages land in. */
    MemorySegment destinationOf(PageBatch batch) {
        check(batch);
        if (mine.length < batch.pageCount()) {
            grow(batch.pageCount());
        }
        return MemorySegment.ofBuffer(staging).asSlice(0, (long) batch.pageCount() * pageSize);
    }

    private int check(PageBatch batch) {
        int slotIndex = -1;
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).id() == batch.slot()) {
                slotIndex = i;
            }
        }
        if (slotIndex < 0 || batch.pageSize() != pageSize) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "a post-copy batch for memslot "
                    + batch.slot() + " with " + batch.pageSize() + "-byte pages, which the layout does not have");
        }
        long slotPages = slots.get(slotIndex).size() / pageSize;
        if (batch.firstPage() < 0 || batch.firstPage() + batch.pageCount() > slotPages) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "pages " + batch.firstPage() + ".."
                    + (batch.firstPage() + batch.pageCount() - 1) + " lie beyond slot " + batch.slot() + "'s pages");
        }
        for (int i = 0; i < batch.pageCount(); i++) {
            if (!landing.owed(slotIndex, batch.firstPage() + i)) {
                throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "page " + (batch.firstPage() + i)
                        + " of slot " + batch.slot() + " came after the switch, but the target had it already");
            }
        }
        return slotIndex;
    }

    /**
     * Installs the pages of the batch that no other channel installed first.
     *
     * @return whether these were the last pages the source owed
     */
    boolean apply(PageBatch batch) {
        int slotIndex = check(batch);
        RamSlot slot = slots.get(slotIndex);
        int count = batch.pageCount();
        long first = batch.firstPage();
        boolean any = false;
        for (int i = 0; i < count; i++) {
            mine[i] = landing.claim(slotIndex, first + i);
            any |= mine[i];
        }
        if (!any) {
            return false;
        }
        ByteBuffer pageTags = null;
        if (mte) {
            batch.decodeTags(tags.clear(), 0);
            pageTags = tags;
        }
        boolean staged = !batch.hasPayload();
        for (int i = 0; i < count; i++) {
            if (!mine[i]) {
                continue;
            }
            long page = first + i;
            boolean zero = batch.isDataZero(i);
            if (!zero && !(staged && batch.isDataRaw(i))) {
                try {
                    batch.copyPageData(i, staging, i * pageSize, true);
                } catch (FrameException e) {
                    throw new MigrationAbort(ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH, e.getMessage(), e);
                }
            }
            digests.update(slotIndex, page, zero
                    ? fingerprint.zeroDataPage(slot.id(), page, pageSize, pageTags, i * tagsPerPage)
                    : fingerprint.page(slot.id(), page, staging, i * pageSize, pageSize, pageTags, i * tagsPerPage));
        }
        boolean last = false;
        int i = 0;
        while (i < count) {
            if (!mine[i]) {
                i++;
                continue;
            }
            boolean zero = batch.isDataZero(i);
            int end = i + 1;
            while (end < count && mine[end] && batch.isDataZero(end) == zero) {
                end++;
            }
            last |= install(slotIndex, first + i, i, end - i, zero, pageTags);
            i = end;
        }
        return last;
    }

    private boolean install(int slotIndex, long page, int index, int pages, boolean zero, ByteBuffer pageTags) {
        if (pageTags != null) {
            pageTags.limit((index + pages) * tagsPerPage).position(index * tagsPerPage);
        }
        try {
            if (zero) {
                landing.ram().installZeros(slotIndex, page, pages, pageTags);
            } else {
                staging.limit((index + pages) * pageSize).position(index * pageSize);
                landing.ram().install(slotIndex, page, pages, staging, pageTags);
            }
        } catch (RuntimeException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "installing pages " + page + ".." + (page + pages - 1)
                    + " of slot " + slotIndex + " failed: " + e.getMessage(), e);
        } finally {
            staging.clear();
            if (pageTags != null) {
                pageTags.clear();
            }
        }
        return landing.installed(slotIndex, page, pages, clock.getAsLong());
    }
}
