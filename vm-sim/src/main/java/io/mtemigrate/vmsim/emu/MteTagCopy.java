package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.uffd.GuestPageGate;

import java.nio.ByteBuffer;

/**
 * {@code kvm_vm_ioctl_mte_copy_tags} (arch/arm64/kvm/guest.c): the argument checks in the kernel's order, then a
 * page-by-page copy that stops at the first page it cannot do and reports the guest bytes done before it.
 *
 * <p>Pages are copied in runs (same memslot, same 1 GiB chunk of tag storage, tags wholly inside the buffer), each
 * in a few bulk copies; a run ends where a page could fail, and that page then takes the kernel's per-page path.
 *
 * <p>A page missing from a userfaultfd fails like a page with no memslot, with EFAULT: the kernel's
 * {@code gfn_to_pfn_prot} would fault it in, which with {@code UFFD_FEATURE_SIGBUS} fails the same way and without
 * it blocks the calling VMM thread until someone installs the page; a VMM whose own thread serves the faults
 * would wait for itself. Neither direction touches the page, so it stays missing and its install stays atomic.
 */
final class MteTagCopy {
    /**
     * Tag bytes TO_GUEST masks per step, a whole number of pages of every size. 8 KiB keeps the source block, the
     * scratch copy and the target block in L1 together; 4, 16 and 32 KiB blocks measured 8-31 % slower.
     */
    private static final int BLOCK_BYTES = 8 << 10;
    private static final byte[] ZEROS = new byte[4096];

    private MteTagCopy() {
    }

    static long copy(EmulatedVm vm, long guestIpa, long length, ByteBuffer buffer, long flags, long reserved0,
                     long reserved1) {
        PageSize pageSize = vm.pageSize();
        if (!vm.mteEnabled()) {
            throw new KvmException(Errno.EINVAL, "MTE is not enabled on this VM (KVM_CAP_ARM_MTE)");
        }
        if (reserved0 != 0 || reserved1 != 0) {
            throw new KvmException(Errno.EINVAL, "reserved fields of kvm_arm_copy_mte_tags must be zero");
        }
        if ((flags & ~KvmConstants.KVM_ARM_TAGS_FROM_GUEST) != 0) {
            throw new KvmException(Errno.EINVAL, "flags 0x" + Long.toHexString(flags)
                    + " has bits other than KVM_ARM_TAGS_FROM_GUEST");
        }
        if (!pageSize.isAligned(guestIpa) || !pageSize.isAligned(length)) {
            throw new KvmException(Errno.EINVAL, "guest_ipa 0x" + Long.toHexString(guestIpa) + " and length "
                    + length + " must be multiples of the page size " + pageSize.bytes());
        }
        if (Long.compareUnsigned(length, Integer.MAX_VALUE) > 0) {
            throw new KvmException(Errno.EINVAL, "length " + Long.toUnsignedString(length) + " exceeds INT_MAX");
        }
        boolean write = flags == KvmConstants.KVM_ARM_TAGS_TO_GUEST;
        if (write && vm.anySlotLogsDirtyPages()) {
            throw new KvmException(Errno.EBUSY, "cannot write tags while a memslot has dirty logging enabled");
        }
        vm.slotsLock().readLock().lock();
        try {
            return copyPages(vm, guestIpa, length, buffer, write);
        } finally {
            vm.slotsLock().readLock().unlock();
        }
    }

    private static long copyPages(EmulatedVm vm, long guestIpa, long length, ByteBuffer buffer, boolean write) {
        PageSize pageSize = vm.pageSize();
        int shift = pageSize.shift();
        int tagsPerPage = pageSize.tagsPerPage();
        byte[] scratch = write ? new byte[(int) Math.min(BLOCK_BYTES, (length >>> shift) * tagsPerPage)] : null;
        GuestPageGate gate = vm.pageGate();
        Memslot slot = null;
        int bufferIndex = buffer.position();
        long done = 0;
        while (done < length) {
            long ipa = guestIpa + done;
            if (slot == null || !slot.contains(ipa)) {
                slot = vm.findSlot(vm.slotArray(), ipa);
            }
            if (slot == null) {
                return fail(done, Errno.EFAULT, "no memslot maps IPA 0x" + Long.toHexString(ipa));
            }
            if (write && slot.readOnly) {
                return fail(done, Errno.EFAULT, "memslot " + slot.id + " at IPA 0x" + Long.toHexString(ipa)
                        + " is read-only");
            }
            if (!write && buffer.isReadOnly()) {
                // The kernel's copy_to_user into a read-only mapping fails on the page's first tag byte.
                return fail(done, Errno.EFAULT, "the tag buffer is read-only; FROM_GUEST writes into it");
            }
            if (write && !slot.memory.canHoldTags()) {
                // The kernel would store tags into such a page; the emulator keeps no tag storage for it, so it refuses.
                return fail(done, Errno.EFAULT, "memslot " + slot.id + " is backed by memory that cannot hold tags");
            }
            long offset = slot.hostOffset(ipa);
            int room = buffer.limit() - bufferIndex;
            // The run the page starts: same slot, same 1 GiB chunk of tag storage, all of its tags in the buffer.
            long pages = Math.min((length - done) >>> shift, (slot.size - (ipa - slot.guestPhysAddr)) >>> shift);
            pages = Math.min(pages, (HostMemory.CHUNK_SIZE - HostMemory.offsetInChunk(offset)) >>> shift);
            pages = Math.min(pages, room / tagsPerPage);
            if (gate != null) {
                int present = gate.presentPages(slot.memory, offset, (int) Math.max(pages, 1));
                if (present == 0) {
                    return fail(done, Errno.EFAULT, "the page at IPA 0x" + Long.toHexString(ipa)
                            + " is missing: registered with a userfaultfd and not installed");
                }
                pages = Math.min(pages, present);
            }
            if (pages == 0) {
                if (write) {
                    // The kernel clears a page whose tags it could not read in full rather than leave some stale.
                    slot.memory.clearPageTags(offset);
                    slot.memory.markTagged(offset);
                } else {
                    copyFromGuest(slot.memory, offset, 1, buffer, bufferIndex, room, tagsPerPage);
                }
                return fail(done, Errno.EFAULT, "the tag buffer ends " + room + " bytes into the tags of IPA 0x"
                        + Long.toHexString(ipa));
            }
            int count = (int) pages;
            if (write) {
                copyToGuest(slot.memory, offset, count, buffer, bufferIndex, tagsPerPage, scratch);
            } else {
                copyFromGuest(slot.memory, offset, count, buffer, bufferIndex, count * tagsPerPage, tagsPerPage);
            }
            done += pages << shift;
            bufferIndex += count * tagsPerPage;
        }
        return length;
    }

    /** An error at the first page is the call's errno; at page k > 0 the call returns the k pages done. */
    private static long fail(long done, Errno errno, String reason) {
        if (done == 0) {
            throw new KvmException(errno, reason);
        }
        return done;
    }

    /**
     * Reads the tags of {@code pages} pages (within one chunk) into {@code bytes} bytes of the buffer from
     * {@code index}: each run of tagged pages in one bulk copy, each run of never-tagged pages as zeros. A page's
     * flag is read before its tags, so a page the guest tags meanwhile reads either as zeros or as its fresh tags.
     */
    private static void copyFromGuest(HostMemory memory, long offset, int pages, ByteBuffer buffer, int index, int bytes,
                                      int tagsPerPage) {
        if (!memory.canHoldTags()) {
            // Memory without VM_MTE_ALLOWED (a slot made before MTE was enabled) is never page_mte_tagged.
            zero(buffer, index, bytes);
            return;
        }
        ByteBuffer tags = memory.tagChunk(offset);
        int tagIndex = HostMemory.tagIndexInChunk(offset);
        int pageShift = memory.pageSize().shift();
        int copied = 0;
        for (int page = 0; page < pages && copied < bytes; ) {
            long at = offset + ((long) page << pageShift);
            int run = memory.pagesInTagState(at, pages - page, true);
            boolean tagged = run > 0;
            if (!tagged) {
                run = memory.pagesInTagState(at, pages - page, false);
            }
            int n = Math.min(run * tagsPerPage, bytes - copied);
            if (tagged) {
                buffer.put(index + copied, tags, tagIndex + copied, n);
            } else {
                zero(buffer, index + copied, n);
            }
            copied += n;
            page += run;
        }
    }

    /**
     * Writes the tags of {@code pages} whole pages (within one chunk) from the buffer at {@code index}, in blocks:
     * bulk copy into {@code scratch}, drop the upper nibbles there (a loop over a heap array, which the JIT
     * vectorises), bulk copy into tag storage, then mark the block's pages tagged.
     */
    private static void copyToGuest(HostMemory memory, long offset, int pages, ByteBuffer buffer, int index,
                                    int tagsPerPage, byte[] scratch) {
        ByteBuffer tags = memory.tagChunk(offset);
        int tagIndex = HostMemory.tagIndexInChunk(offset);
        int pageShift = memory.pageSize().shift();
        int pagesPerBlock = scratch.length / tagsPerPage;
        for (int page = 0; page < pages; ) {
            int n = Math.min(pagesPerBlock, pages - page);
            int bytes = n * tagsPerPage;
            int at = page * tagsPerPage;
            buffer.get(index + at, scratch, 0, bytes);
            for (int i = 0; i < bytes; i++) {
                scratch[i] &= 0x0F;
            }
            tags.put(tagIndex + at, scratch, 0, bytes);
            memory.markTagged(offset + ((long) page << pageShift), n);
            page += n;
        }
    }

    private static void zero(ByteBuffer buffer, int index, int count) {
        for (int done = 0; done < count; done += ZEROS.length) {
            buffer.put(index + done, ZEROS, 0, Math.min(ZEROS.length, count - done));
        }
    }
}
