package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * {@code __kvm_set_memory_region} and arm64's {@code kvm_arch_prepare_memory_region}: the checks in the kernel's
 * order, then the new slot array published in one volatile write so vCPUs never see a half-made change.
 */
final class MemslotTable {
    private static final Memslot[] EMPTY = new Memslot[0];

    private final PageSize pageSize;
    private final long ipaLimit;
    private volatile Memslot[] slots = EMPTY;

    MemslotTable(PageSize pageSize, int ipaBits) {
        this.pageSize = pageSize;
        this.ipaLimit = 1L << ipaBits;
    }

    Memslot[] array() {
        return slots;
    }

    static Memslot find(Memslot[] slots, long ipa) {
        for (Memslot slot : slots) {
            if (slot.contains(ipa)) {
                return slot;
            }
        }
        return null;
    }

    Memslot byId(int id) {
        for (Memslot slot : slots) {
            if (slot.id == id) {
                return slot;
            }
        }
        return null;
    }

    boolean anyLogsDirtyPages() {
        for (Memslot slot : slots) {
            if (slot.dirty() != null) {
                return true;
            }
        }
        return false;
    }

    List<UserMemoryRegion> regions() {
        List<UserMemoryRegion> regions = new ArrayList<>();
        for (Memslot slot : slots) {
            regions.add(slot.region());
        }
        return regions;
    }

    /** Caller holds the slots write lock. */
    void set(UserMemoryRegion region, boolean mteEnabled, long dirtyLogCaps) {
        int validFlags = KvmConstants.KVM_MEM_LOG_DIRTY_PAGES | KvmConstants.KVM_MEM_READONLY;
        if ((region.flags() & ~validFlags) != 0) {
            throw new KvmException(Errno.EINVAL, "memslot flags 0x" + Integer.toHexString(region.flags())
                    + " has unknown bits (KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY are the valid ones)");
        }
        int addressSpace = region.slot() >>> 16;
        int id = region.slot() & 0xFFFF;
        long size = region.memorySize();
        if (size < 0 || !pageSize.isAligned(size)) {
            throw new KvmException(Errno.EINVAL, "memory_size " + size + " is not a multiple of the page size " + pageSize.bytes());
        }
        if (!pageSize.isAligned(region.guestPhysAddr())) {
            throw new KvmException(Errno.EINVAL, "guest_phys_addr 0x" + Long.toHexString(region.guestPhysAddr())
                    + " is not page aligned");
        }
        if (!pageSize.isAligned(region.memoryOffset()) || region.memory().pageSize() != pageSize
                || region.memoryOffset() < 0 || region.memoryOffset() + size > region.memory().size()) {
            throw new KvmException(Errno.EINVAL, "userspace memory [" + region.memoryOffset() + ", +" + size
                    + ") is not a page-aligned range of the " + region.memory().size() + "-byte host mapping");
        }
        if (addressSpace >= KvmConstants.KVM_ADDRESS_SPACE_NUM || id >= KvmConstants.KVM_USER_MEM_SLOTS) {
            throw new KvmException(Errno.EINVAL, "slot " + region.slot() + " is out of range");
        }
        if (Long.compareUnsigned(region.guestPhysAddr() + size, region.guestPhysAddr()) < 0) {
            throw new KvmException(Errno.EINVAL, "guest_phys_addr + memory_size overflows");
        }
        if ((size >>> pageSize.shift()) > KvmConstants.KVM_MEM_MAX_NR_PAGES) {
            throw new KvmException(Errno.EINVAL, "memory_size " + size + " exceeds KVM_MEM_MAX_NR_PAGES pages");
        }
        Memslot old = byId(id);
        if (size == 0) {
            if (old == null) {
                throw new KvmException(Errno.EINVAL, "cannot delete slot " + id + ": it does not exist");
            }
            publish(without(old));
            return;
        }
        boolean create = old == null;
        boolean move = false;
        if (!create) {
            if (region.memory() != old.memory || region.memoryOffset() != old.memoryOffset || size != old.size
                    || region.readOnly() != old.readOnly) {
                throw new KvmException(Errno.EINVAL, "slot " + id
                        + " exists: only its guest address and KVM_MEM_LOG_DIRTY_PAGES may change");
            }
            move = region.guestPhysAddr() != old.guestPhysAddr;
            if (!move && region.flags() == old.region().flags()) {
                return;
            }
        }
        if ((create || move) && overlaps(id, region.guestPhysAddr(), size)) {
            throw new KvmException(Errno.EEXIST, "slot " + id + " at 0x" + Long.toHexString(region.guestPhysAddr())
                    + " overlaps another memslot");
        }
        if (Long.compareUnsigned(region.guestPhysAddr() + size, ipaLimit) > 0) {
            throw new KvmException(Errno.EFAULT, "slot " + id + " ends beyond the VM's IPA space of "
                    + Long.numberOfTrailingZeros(ipaLimit) + " bits");
        }
        if (mteEnabled && !region.memory().canHoldTags()) {
            throw new KvmException(Errno.EINVAL, "MTE is enabled and slot " + id
                    + "'s host memory cannot hold tags (use anonymous or shared memory, not a file mapping)");
        }
        DirtyBitmap dirty = dirtyBitmapFor(region, old, dirtyLogCaps);
        if (create || move) {
            Memslot[] base = create ? slots : without(old);
            publish(with(base, new Memslot(region, pageSize.shift(), dirty)));
        } else {
            old.changeFlags(region, dirty);
        }
    }

    /**
     * kvm_main.c:kvm_prepare_memory_region: no bitmap without logging; a slot that logged before and still does
     * (a flags change or a KVM_MR_MOVE) keeps its bitmap, set and cleared bits alike; otherwise a fresh one, all set
     * with KVM_DIRTY_LOG_INITIALLY_SET. A move that started afresh would report pages dirtied before it as clean.
     */
    private DirtyBitmap dirtyBitmapFor(UserMemoryRegion region, Memslot old, long dirtyLogCaps) {
        if (!region.logsDirtyPages()) {
            return null;
        }
        if (old != null && old.dirty() != null) {
            return old.dirty();
        }
        boolean initiallySet = (dirtyLogCaps & KvmConstants.KVM_DIRTY_LOG_INITIALLY_SET) != 0;
        return new DirtyBitmap(region.memorySize() >>> pageSize.shift(), initiallySet);
    }

    private boolean overlaps(int id, long gpa, long size) {
        for (Memslot slot : slots) {
            if (slot.id != id && gpa < slot.guestPhysAddr + slot.size && slot.guestPhysAddr < gpa + size) {
                return true;
            }
        }
        return false;
    }

    private Memslot[] without(Memslot removed) {
        return Arrays.stream(slots).filter(s -> s != removed).toArray(Memslot[]::new);
    }

    private static Memslot[] with(Memslot[] base, Memslot added) {
        Memslot[] result = Arrays.copyOf(base, base.length + 1);
        result[base.length] = added;
        Arrays.sort(result, Comparator.comparingLong(s -> s.guestPhysAddr));
        return result;
    }

    private void publish(Memslot[] newSlots) {
        slots = newSlots;
    }
}
