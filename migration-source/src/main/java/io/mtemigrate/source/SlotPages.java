package io.mtemigrate.source;

import io.mtemigrate.migration.PageSets;
import io.mtemigrate.vmsim.BitRanges;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;

import java.util.List;

/** Per-slot page bitmaps of the source's VM: its dirty log read into them, or the pages that hold data. */
final class SlotPages {
    private SlotPages() {
    }

    /** Gets and clears every slot's dirty log into {@code bitmaps} (or adds to it); returns the pages set. */
    static long readDirtyLog(MigratableVm vm, long[][] bitmaps, boolean merge) {
        long pages = 0;
        for (int s = 0; s < bitmaps.length; s++) {
            long[] fresh = merge ? new long[bitmaps[s].length] : bitmaps[s];
            vm.fetchDirtyPages(s, fresh);
            for (int w = 0; w < fresh.length; w++) {
                if (merge) {
                    bitmaps[s][w] |= fresh[w];
                }
                pages += Long.bitCount(bitmaps[s][w]);
            }
        }
        return pages;
    }

    /**
     * For a switch before any page was sent: every page that holds data (the holes of the memory file are zero in
     * data and tags, and the target's fresh memory already is).
     */
    static long[][] holdingData(MigratableVm vm) {
        long[][] pages = PageSets.empty(PageSets.pagesPerSlot(vm.layout()));
        int pageSize = vm.layout().pageSize().bytes();
        List<RamSlot> slots = vm.ramSlots();
        for (int s = 0; s < pages.length; s++) {
            RamSlot slot = slots.get(s);
            long end = slot.size();
            long at = slot.nextData(0);
            while (at < end) {
                long holeAt = slot.nextHole(at);
                BitRanges.set(pages[s], at / pageSize, (holeAt + pageSize - 1) / pageSize);
                at = holeAt >= end ? end : slot.nextData(holeAt);
            }
        }
        return pages;
    }
}
