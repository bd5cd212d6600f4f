package io.mtemigrate.tagstream.tags;

/**
 * How one page's tags travel. The wire code sits in bits 3..5 of the page's flag byte (see
 * {@code PageBatchLayout}); codes are never reused.
 */
public enum TagKind {
    /** Every tag is 0: nothing on the wire. */
    ZERO(0),
    /** Every tag equal and non-zero: one byte, the tag. */
    UNIFORM(1),
    /** Two tags per byte, granule 2k in the low nibble of byte k: page size / 32 bytes. */
    PACKED(2),
    /** Runs of equal tags: u16 run count, then per run a u16 {@code (length - 1) << 4 | tag}. */
    RLE(3);

    private static final TagKind[] BY_CODE = values();

    private final int code;

    TagKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind for a wire code, or null if the code names none. */
    public static TagKind ofCodeOrNull(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
