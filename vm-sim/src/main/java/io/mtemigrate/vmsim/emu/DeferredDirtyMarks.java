package io.mtemigrate.vmsim.emu;

import java.lang.invoke.VarHandle;

/**
 * The product's ordering: pages a step wrote are marked dirty when the step ends, after all its stores. A reader
 * that gets-and-clears a bit and then reads the page sees either the store or a bit that is set again later.
 * Marking once per page per step also spares an atomic operation per store.
 */
final class DeferredDirtyMarks implements StoreTracker {
    private static final int CAPACITY = 64;
    private final Memslot[] slots = new Memslot[CAPACITY];
    private final long[] pages = new long[CAPACITY];
    private int count;

    @Override
    public void beforeStore(Memslot slot, long page) {
    }

    @Override
    public void afterStore(Memslot slot, long page) {
        if (count > 0 && pages[count - 1] == page && slots[count - 1] == slot) {
            return;
        }
        if (count == CAPACITY) {
            endOfStep();
        }
        slots[count] = slot;
        pages[count] = page;
        count++;
    }

    @Override
    public void endOfStep() {
        if (count == 0) {
            return;
        }
        // Orders this step's plain stores before the reads of the bitmap below (x86 may otherwise let a load pass
        // an earlier store): a reader that cleared the bit before our read sees the data after its clear.
        VarHandle.fullFence();
        for (int i = 0; i < count; i++) {
            slots[i].markDirty(pages[i]);
            slots[i] = null;
        }
        count = 0;
    }
}
