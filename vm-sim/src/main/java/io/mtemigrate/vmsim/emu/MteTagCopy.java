package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.PageSize;

import java.nio.ByteBuffer;

/**
 * {@code kvm_vm_ioctl_mte_copy_tags} (arch/arm64/kvm/guest.c): the argument checks in the kernel's order, then a
 * page-by-page copy that stops at the first page it cannot do and reports the guest bytes done before it.
 */
final class MteTagCopy {
    private static final long NIBBLES = 0x0F0F_0F0F_0F0F_0F0FL;

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
        int pageBytes = vm.pageSize().bytes();
        int tagsPerPage = vm.pageSize().tagsPerPage();
        Memslot slot = null;
        int bufferIndex = buffer.position();
        for (long done = 0; done < length; done += pageBytes, bufferIndex += tagsPerPage) {
            long ipa = guestIpa + done;
            if (slot == null || !slot.contains(ipa)) {
                slot = vm.findSlot(vm.slotArray(), ipa);
            }
            Errno error = null;
            String reason = null;
            if (slot == null) {
                error = Errno.EFAULT;
                reason = "no memslot maps IPA 0x" + Long.toHexString(ipa);
            } else if (write && slot.readOnly) {
                error = Errno.EFAULT;
                reason = "memslot " + slot.id + " at IPA 0x" + Long.toHexString(ipa) + " is read-only";
            } else if (!slot.memory.canHoldTags()) {
                error = Errno.EFAULT;
                reason = "memslot " + slot.id + " is backed by memory that cannot hold tags";
            } else {
                int room = buffer.limit() - bufferIndex;
                long offset = slot.hostOffset(ipa);
                if (write) {
                    copyToGuest(slot.memory, offset, buffer, bufferIndex, Math.min(room, tagsPerPage), tagsPerPage);
                } else {
                    copyFromGuest(slot.memory, offset, buffer, bufferIndex, Math.min(room, tagsPerPage), tagsPerPage);
                }
                if (room < tagsPerPage) {
                    error = Errno.EFAULT;
                    reason = "the tag buffer ends " + room + " bytes into the tags of IPA 0x" + Long.toHexString(ipa);
                }
            }
            if (error != null) {
                if (done == 0) {
                    throw new KvmException(error, reason);
                }
                return done;
            }
        }
        return length;
    }

    private static void copyFromGuest(HostMemory memory, long pageOffset, ByteBuffer buffer, int index, int count,
                                      int tagsPerPage) {
        if (count <= 0) {
            return;
        }
        if (!memory.isTagged(pageOffset)) {
            for (int i = 0; i < count; i++) {
                buffer.put(index + i, (byte) 0);
            }
            return;
        }
        buffer.put(index, memory.tagChunk(pageOffset), HostMemory.tagIndexInChunk(pageOffset), count);
    }

    private static void copyToGuest(HostMemory memory, long pageOffset, ByteBuffer buffer, int index, int count,
                                    int tagsPerPage) {
        ByteBuffer tags = memory.tagChunk(pageOffset);
        int start = HostMemory.tagIndexInChunk(pageOffset);
        if (count < tagsPerPage) {
            // The kernel clears a page whose tags it could not read in full rather than leave some stale.
            memory.clearPageTags(pageOffset);
        } else {
            boolean swap = buffer.order() != tags.order();
            int i = 0;
            for (; i + Long.BYTES <= count; i += Long.BYTES) {
                long eight = buffer.getLong(index + i) & NIBBLES;
                tags.putLong(start + i, swap ? Long.reverseBytes(eight) : eight);
            }
            for (; i < count; i++) {
                tags.put(start + i, (byte) (buffer.get(index + i) & 0xF));
            }
        }
        memory.markTagged(pageOffset);
    }
}
