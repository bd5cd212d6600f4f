package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.UserMemoryRegion;

/**
 * A memslot as the emulator keeps it. The region is fixed for the slot's life (a move makes a new Memslot, which
 * takes over the old one's dirty bitmap); only the dirty bitmap comes and goes with KVM_MEM_LOG_DIRTY_PAGES, in
 * place, so that a vCPU that cached the slot keeps marking the live bitmap.
 */
final class Memslot {
    final int id;
    final long guestPhysAddr;
    final long size;
    final long pages;
    final int pageShift;
    final HostMemory memory;
    final long memoryOffset;
    final boolean readOnly;
    private volatile UserMemoryRegion region;
    private volatile DirtyBitmap dirty;

    Memslot(UserMemoryRegion region, int pageShift, DirtyBitmap dirty) {
        this.id = region.slot() & 0xFFFF;
        this.guestPhysAddr = region.guestPhysAddr();
        this.size = region.memorySize();
        this.pages = size >>> pageShift;
        this.pageShift = pageShift;
        this.memory = region.memory();
        this.memoryOffset = region.memoryOffset();
        this.readOnly = region.readOnly();
        this.region = region;
        this.dirty = dirty;
    }

    boolean contains(long ipa) {
        return Long.compareUnsigned(ipa - guestPhysAddr, size) < 0;
    }

    long hostOffset(long ipa) {
        return memoryOffset + (ipa - guestPhysAddr);
    }

    long pageOf(long ipa) {
        return (ipa - guestPhysAddr) >>> pageShift;
    }

    UserMemoryRegion region() {
        return region;
    }

    DirtyBitmap dirty() {
        return dirty;
    }

    void changeFlags(UserMemoryRegion newRegion, DirtyBitmap newDirty) {
        this.dirty = newDirty;
        this.region = newRegion;
    }

    /** Marks a page dirty if the slot logs; the guest's store must already be in memory. */
    boolean markDirty(long page) {
        DirtyBitmap d = dirty;
        if (d == null) {
            return false;
        }
        d.mark(page);
        return true;
    }
}
