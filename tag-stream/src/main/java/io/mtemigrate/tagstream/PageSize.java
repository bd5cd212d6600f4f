package io.mtemigrate.tagstream;

/**
 * The three arm64 page sizes KVM supports, with the tag geometry that follows from them.
 *
 * <p>Kept here rather than taken from vm-sim: tag-stream is the wire format and must not depend on
 * the emulator. The values are those of the kernel (KVM-MTE.md): one 4-bit tag per 16-byte
 * granule, so PAGE_SIZE / 16 tags per page.
 */
public enum PageSize {
    SIZE_4K(12),
    SIZE_16K(14),
    SIZE_64K(16);

    /** Bytes of guest memory covered by one tag. */
    public static final int GRANULE_SIZE = 16;

    private final int shift;

    PageSize(int shift) {
        this.shift = shift;
    }

    /** The page size for a byte count, or IllegalArgumentException naming the accepted sizes. */
    public static PageSize ofBytes(int bytes) {
        for (PageSize size : values()) {
            if (size.bytes() == bytes) {
                return size;
            }
        }
        throw new IllegalArgumentException("page size " + bytes + " is not supported; expected 4096, 16384 or 65536");
    }

    /** The page size for its log2 as carried in a frame header, or null if none matches. */
    public static PageSize ofShiftOrNull(int shift) {
        for (PageSize size : values()) {
            if (size.shift == shift) {
                return size;
            }
        }
        return null;
    }

    public int shift() {
        return shift;
    }

    public int bytes() {
        return 1 << shift;
    }

    /** Tags per page: one per granule, one byte each in the kernel's COPY_TAGS buffer. */
    public int granules() {
        return bytes() / GRANULE_SIZE;
    }

    /** Bytes of one page's tags packed two per byte: 1/32 of the page. */
    public int packedTagBytes() {
        return granules() / 2;
    }
}
