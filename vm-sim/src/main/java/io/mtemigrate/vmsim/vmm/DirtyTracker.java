package io.mtemigrate.vmsim.vmm;

/**
 * The dirty log of every RAM slot, as a migration uses it: on for the migration, then fetched and cleared once per
 * round. Bitmaps are the kernel's layout: bit {@code i} of slot page {@code i} is bit {@code i % 64} of word
 * {@code i / 64}.
 */
public interface DirtyTracker {
    /** Starts or stops logging writes to every RAM slot. */
    void logDirtyPages(boolean on);

    /**
     * Fills {@code bitmap} with the pages of slot {@code slotIndex} (its place in {@link MigratableVm#ramSlots()})
     * written since logging started or since the last fetch, and clears them: a page written after this call
     * returns is reported by the next one. When the fetch fails, the caller must treat every page as dirty.
     */
    void fetchDirtyPages(int slotIndex, long[] bitmap);
}
