package io.mtemigrate.migration;

import io.mtemigrate.vmsim.machine.MachineLayout;

import java.util.concurrent.atomic.LongAdder;

/**
 * The incremental RAM+tags digest of one side of a migration: the hash of the last version of every page sent
 * (source) or applied (target), summed. Both sides hash the same bytes, so the two sums agree exactly when every
 * page's last version arrived; comparing them before the target resumes costs nothing in downtime.
 *
 * <p>Each page is only ever updated by the one thread that owns its channel, so the table needs no lock; the sum
 * takes every thread's differences in any order. Read {@link #digest()} once the updaters are done (the target
 * reads it after every channel ended its last round).
 */
public final class PageDigests {
    private final long[][] hashes;
    private final LongAdder sum = new LongAdder();

    public PageDigests(MachineLayout layout) {
        int pageShift = layout.pageSize().shift();
        hashes = new long[layout.slots().size()][];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = new long[Math.toIntExact(layout.slots().get(i).size() >>> pageShift)];
        }
    }

    /** Records the hash of the version of {@code page} (slot by its position in the layout) just sent or applied. */
    public void update(int slotIndex, long page, long hash) {
        long[] table = hashes[slotIndex];
        sum.add(hash - table[(int) page]);
        table[(int) page] = hash;
    }

    public long digest() {
        return sum.sum();
    }
}
