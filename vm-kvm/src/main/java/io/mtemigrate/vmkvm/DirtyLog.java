package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.VmFd;
import io.mtemigrate.vmsim.HostMemorySlot;
import io.mtemigrate.vmsim.KvmConstants;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * The VM's dirty log, as a migration reads it. With manual protection ({@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2})
 * {@code KVM_GET_DIRTY_LOG} only reads the bitmap, and {@code KVM_CLEAR_DIRTY_LOG} of exactly the bits it returned
 * clears them and write-protects those pages again: a page written after the clear is in the next fetch, and one
 * written between the two calls is written before the caller copies it. Without the capability (before Linux 5.3)
 * the GET alone does both.
 *
 * <p>Each slot has one native bitmap, made at its first fetch and reused: a fetch allocates only the ioctls' small
 * argument structs, nothing per page.
 */
final class DirtyLog {
    private final VmFd vm;
    private final List<HostMemorySlot> slots;
    private final boolean manualProtect;
    private final int[] flags;
    private final MemorySegment[] bitmaps;
    private final Object[] bitmapLocks;

    DirtyLog(VmFd vm, List<HostMemorySlot> slots, int[] initialFlags, boolean manualProtect) {
        this.vm = vm;
        this.slots = slots;
        this.manualProtect = manualProtect;
        this.flags = initialFlags.clone();
        this.bitmaps = new MemorySegment[slots.size()];
        this.bitmapLocks = new Object[slots.size()];
        Arrays.setAll(bitmapLocks, i -> new Object());
    }

    boolean manualProtect() {
        return manualProtect;
    }

    /** Sets or clears {@code KVM_MEM_LOG_DIRTY_PAGES} on every slot (the kernel allows changing only the flags). */
    synchronized void setLogging(boolean on) {
        for (int i = 0; i < slots.size(); i++) {
            HostMemorySlot slot = slots.get(i);
            int newFlags = on ? flags[i] | KvmConstants.KVM_MEM_LOG_DIRTY_PAGES
                    : flags[i] & ~KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
            if (newFlags != flags[i]) {
                vm.setUserMemoryRegion(slot.id(), newFlags, slot.guestPhysAddr(), slot.segment());
                flags[i] = newFlags;
            }
        }
    }

    /** Fills {@code bitmap} with slot {@code index}'s pages written since the last fetch, and clears them. */
    void fetch(int index, long[] bitmap) {
        HostMemorySlot slot = slots.get(index);
        long pages = slot.size() >>> 12;
        int words = Math.toIntExact((pages + 63) >>> 6);
        if (bitmap.length < words) {
            throw new IllegalArgumentException("slot " + slot.id() + " has " + pages + " pages, which need a bitmap of "
                    + words + " words, not " + bitmap.length);
        }
        synchronized (bitmapLocks[index]) {
            MemorySegment kernelBitmap = bitmap(index, words);
            vm.getDirtyLog(slot.id(), kernelBitmap);
            MemorySegment.copy(kernelBitmap, ValueLayout.JAVA_LONG, 0, bitmap, 0, words);
            if (manualProtect && !allZero(bitmap, words)) {
                vm.clearDirtyLog(slot.id(), 0, Math.toIntExact(pages), kernelBitmap);
            }
        }
        Arrays.fill(bitmap, words, bitmap.length, 0L);
    }

    private MemorySegment bitmap(int index, int words) {
        if (bitmaps[index] == null) {
            // Automatic: a fetch racing close() must never meet freed memory.
            bitmaps[index] = Arena.ofAuto().allocate((long) words * Long.BYTES, Long.BYTES);
        }
        return bitmaps[index];
    }

    private static boolean allZero(long[] bitmap, int words) {
        for (int i = 0; i < words; i++) {
            if (bitmap[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
