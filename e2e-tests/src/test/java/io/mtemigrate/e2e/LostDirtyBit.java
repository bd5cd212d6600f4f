package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.Kvm;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.emu.EmulatedKvm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately broken KVM for tests: when the dirty log is first read (after the first pass, which the target
 * has applied by then), one page of guest memory changes without its dirty bit being set, as if the bit of a
 * guest store were lost. No copy of that page is on its way, so nothing tears: both sides' incremental digests
 * agree, since they cover what was sent, and only a read of the source's memory itself can notice.
 */
final class LostDirtyBit implements Kvm {
    private final EmulatedKvm real = EmulatedKvm.withMte();
    private final long page;
    /** The page whose dirty bit was lost (index in its slot), or -1 before. */
    final AtomicLong lostPage = new AtomicLong(-1);

    LostDirtyBit(long page) {
        this.page = page;
    }

    @Override
    public int checkExtension(int capability) {
        return real.checkExtension(capability);
    }

    @Override
    public KvmVm createVm(PageSize pageSize) {
        return new DelegatingVm(real.createVm(pageSize)) {
            @Override
            public void getDirtyLog(int slot, long[] bitmap) {
                if (lostPage.compareAndSet(-1, page)) {
                    UserMemoryRegion region = memslots().stream().filter(r -> r.slot() == slot).findFirst().orElseThrow();
                    long offset = region.memoryOffset() + page * pageSize().bytes() + 8;
                    region.memory().putLong(offset, ~region.memory().getLong(offset));
                }
                vm.getDirtyLog(slot, bitmap);
            }
        };
    }
}
