package io.mtemigrate.migration;

import io.mtemigrate.vmsim.machine.MachineLayout;

/**
 * The incremental RAM+tags digest of one side of a migration: the hash of the last version of every page sent
 * (source) or applied (target), summed. Both sides hash the same bytes, so the two sums agree exactly when every
 * page's last version arrived; comparing them before the target resumes costs nothing in downtime.
 */
public final class PageDigests {
    private final long[][] hashes;
    private final int[] slotIds;
    private long sum;

    public PageDigests(MachineLayout layout) {
        int pageShift = layout.pageSize().shift();
        hashes = new long[layout.slots().size()][];
        slotIds = new int[hashes.length];
        for (int i = 0; i < hashes.length; i++) {
            MachineLayout.Slot slot = layout.slots().get(i);
            hashes[i] = new long[Math.toIntExact(slot.size() >>> pageShift)];
            slotIds[i] = slot.id();
        }
    }

    /** Records the hash of the version of {@code page} (slot by its position in the layout) just sent or applied. */
    public synchronized void update(int slotIndex, long page, long hash) {
        long[] table = hashes[slotIndex];
        sum += hash - table[(int) page];
        table[(int) page] = hash;
    }

    public synchronized long digest() {
        return sum;
    }

    public int slotId(int slotIndex) {
        return slotIds[slotIndex];
    }
}
