package io.mtemigrate.vmsim;

/** The host page sizes arm64 KVM runs with; one MTE tag covers each 16-byte granule of a page. */
public enum PageSize {
    SIZE_4K(12),
    SIZE_16K(14),
    SIZE_64K(16);

    private final int shift;

    PageSize(int shift) {
        this.shift = shift;
    }

    public int bytes() {
        return 1 << shift;
    }

    public int shift() {
        return shift;
    }

    public long mask() {
        return bytes() - 1L;
    }

    /** Tag bytes that {@code copyMteTags} moves per page: one per granule. */
    public int tagsPerPage() {
        return bytes() >>> KvmConstants.MTE_GRANULE_SHIFT;
    }

    public boolean isAligned(long value) {
        return (value & mask()) == 0;
    }

    public static PageSize ofBytes(long bytes) {
        for (PageSize size : values()) {
            if (size.bytes() == bytes) {
                return size;
            }
        }
        throw new IllegalArgumentException("page size must be 4096, 16384 or 65536 bytes, not " + bytes);
    }

    @Override
    public String toString() {
        return (bytes() >>> 10) + "K";
    }
}
