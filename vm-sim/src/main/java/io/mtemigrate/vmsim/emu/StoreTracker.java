package io.mtemigrate.vmsim.emu;

/**
 * Decides when a guest store's page is marked dirty, relative to the store. It is the one place where the ordering
 * rule of dirty tracking lives, so that a test can plant the wrong order and show that the stress test catches it.
 */
interface StoreTracker {
    void beforeStore(Memslot slot, long page);

    void afterStore(Memslot slot, long page);

    /** The step's stores are all in memory. */
    void endOfStep();
}
