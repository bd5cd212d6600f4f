package io.mtemigrate.incoming;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.migration.PageDigests;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.vmm.ArrivingRam;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;

import java.util.List;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the target keeps about a post-copy in progress, shared by the channels that install pages and the thread
 * that reads faults. A page the source still owes is installed once: the first channel to claim it installs it
 * and puts it in the digest; a second copy (pushed and also requested) is dropped.
 */
final class PostcopyLanding implements AutoCloseable {
    private final ArrivingRam ram;
    /** Per slot, the pages the source owed at the switch. Read-only after the switch. */
    private final long[][] owed;
    private final PageBits[] claimed;
    private final PageBits[] present;
    private final AtomicLong remaining;
    private final AtomicLong installed = new AtomicLong();
    private final FaultTracker faults;
    /** Whether pages were sent before the switch; without, the pages not owed are holes on both sides. */
    private final boolean precopied;

    private PostcopyLanding(ArrivingRam ram, long[][] owed, long[] slotPages, long pages, int vcpus, boolean precopied) {
        this.ram = ram;
        this.precopied = precopied;
        this.owed = owed;
        this.claimed = new PageBits[owed.length];
        this.present = new PageBits[owed.length];
        for (int s = 0; s < owed.length; s++) {
            claimed[s] = new PageBits(slotPages[s]);
            present[s] = new PageBits(slotPages[s]);
        }
        this.remaining = new AtomicLong(pages);
        this.faults = new FaultTracker(vcpus);
    }

    /** Makes the owed pages of the (stopped) VM missing. */
    static PostcopyLanding open(MigratableVm vm, long[][] owed, long[] slotPages, long pages, boolean precopied) {
        ArrivingRam ram = vm.openArrivingRam().orElseThrow(() -> new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR,
                "this target's VMs cannot run before their memory arrives"));
        try {
            for (int s = 0; s < owed.length; s++) {
                ram.expect(s, owed[s]);
            }
        } catch (RuntimeException e) {
            ram.close();
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "cannot register the missing pages: " + e.getMessage(), e);
        }
        return new PostcopyLanding(ram, owed, slotPages, pages, vm.layout().vcpus(), precopied);
    }

    boolean precopied() {
        return precopied;
    }

    /**
     * After a pure post-copy: the pages the source never owed are zero in data and tags on both sides; the source's
     * digest of its memory counts them, so this side's must too. Once, after the guest's pages are all in.
     */
    void countHolesIn(PageDigests digests, MigratableVm vm) {
        int pageSize = vm.layout().pageSize().bytes();
        boolean mte = vm.layout().mte();
        List<RamSlot> slots = vm.ramSlots();
        for (int s = 0; s < owed.length; s++) {
            int id = slots.get(s).id();
            long pages = slots.get(s).size() / pageSize;
            for (long page = 0; page < pages; page++) {
                if (!owed(s, page)) {
                    digests.update(s, page, RamDigest.zeroPageHash(id, page, pageSize, mte));
                }
            }
        }
    }

    ArrivingRam ram() {
        return ram;
    }

    FaultTracker faults() {
        return faults;
    }

    boolean owed(int slot, long page) {
        return (owed[slot][(int) (page >>> 6)] & (1L << page)) != 0;
    }

    /** True for exactly one caller per owed page: that one installs it. */
    boolean claim(int slot, long page) {
        return claimed[slot].claim(page);
    }

    boolean present(int slot, long page) {
        return present[slot].get(page);
    }

    /**
     * Claimed pages were installed: waiting vCPUs are accounted for.
     *
     * @return whether these were the last pages owed
     */
    boolean installed(int slot, long first, int count, long now) {
        for (long p = first; p < first + count; p++) {
            present[slot].set(p);
        }
        faults.installed(slot, first, count, now);
        installed.addAndGet(count);
        return remaining.addAndGet(-count) == 0;
    }

    long remaining() {
        return remaining.get();
    }

    long pagesInstalled() {
        return installed.get();
    }

    /** Per slot, the owed pages not installed yet: what a reconnected source must still send. */
    long[][] missing() {
        long[][] missing = new long[owed.length][];
        for (int s = 0; s < owed.length; s++) {
            missing[s] = new long[owed[s].length];
            for (int w = 0; w < owed[s].length; w++) {
                missing[s][w] = owed[s][w] & ~present[s].word(w);
            }
        }
        return missing;
    }

    @Override
    public void close() {
        ram.close();
    }
}
