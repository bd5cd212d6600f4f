package io.mtemigrate.vmsim;

/**
 * {@code KVM_GET_DIRTY_LOG} and {@code KVM_CLEAR_DIRTY_LOG}. Bitmaps are the kernel's layout: bit {@code i} of the
 * slot is bit {@code i % 64} of word {@code i / 64}, {@code ALIGN(npages, 64) / 64} words.
 */
public interface DirtyLogging {
    /**
     * Copies the slot's dirty bitmap into {@code bitmap}; without manual protect the bits are atomically fetched and
     * cleared, with {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2} they stay set until {@link #clearDirtyLog}.
     *
     * @throws KvmException EFAULT when {@code bitmap} is shorter than the slot's bitmap: like the kernel's failed
     *         copy_to_user it gets the words that fit, and without manual protect the bits are gone all the same,
     *         so the caller must treat every page of the slot as dirty
     */
    void getDirtyLog(int slot, long[] bitmap);

    /** Clears (and re-protects) the bits of {@code bitmap} for pages {@code firstPage .. firstPage+numPages-1}. */
    void clearDirtyLog(int slot, long firstPage, int numPages, long[] bitmap);
}
