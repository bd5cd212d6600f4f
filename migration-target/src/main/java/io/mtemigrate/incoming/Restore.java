package io.mtemigrate.incoming;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The VM being restored and what the data path keeps about it. Channels' event loops write into these outside the
 * session's lock (each on its own pages), so they are shared by reference from state to state, not copied.
 *
 * @param touched      per slot, pages written here at least once (the others still read as zero)
 * @param pagesApplied pages applied on every channel so far
 */
record Restore(MigratableVm vm, PageDigests digests, PageBits[] touched, AtomicLong pagesApplied) {
    static Restore of(MigratableVm vm) {
        var layout = vm.layout();
        PageBits[] touched = layout.slots().stream().map(s -> new PageBits(s.size() / layout.pageSize().bytes()))
                .toArray(PageBits[]::new);
        return new Restore(vm, new PageDigests(layout), touched, new AtomicLong());
    }

    PageApplier newApplier() {
        return new PageApplier(vm, touched, digests);
    }
}
