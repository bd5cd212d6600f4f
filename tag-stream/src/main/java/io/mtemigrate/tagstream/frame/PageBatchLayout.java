package io.mtemigrate.tagstream.frame;

/**
 * A page-batch frame: a contiguous run of pages of one memslot and one round, with their tags.
 * All integers are little-endian. The first 8 bytes are the common prefix of {@link FrameLayout}.
 *
 * <pre>
 *  0               4       5       6               8               12              16
 *  +---------------+-------+-------+---------------+---------------+---------------+
 *  | frame length  | type=2|version|  reserved = 0 |   memslot     |  page count N |
 *  +---------------+-------+-------+---------------+---------------+---------------+
 *  16                              24                              32
 *  +-------------------------------+-------------------------------+
 *  |            round  u64         |  first page (index in slot)   |
 *  +-------------------------------+-------------------------------+
 *  32      33      34              36              40              44              48
 *  +-------+-------+---------------+---------------+---------------+---------------+
 *  | shift | batch |  reserved = 0 | inline length |  tag length   | tag raw length|
 *  |12/14/16 flags |      u16      | I  (u32)      |  T  (u32)     |  R  (u32)     |
 *  +-------+-------+---------------+---------------+---------------+---------------+
 *  48                  48+N                 48+N+I              48+N+I+T        C = 48+N+I+T+4
 *  +------- ... -------+------- ... --------+------- ... --------+---------------+------- ... -------+
 *  | page flags, N x u8| inline data (I)    | tag section (T)    | CRC32C of     | payload (P)       |
 *  |                   | zstd pages         |                    | bytes [0, C-4)| raw pages         |
 *  +------- ... -------+------- ... --------+------- ... --------+---------------+------- ... -------+
 * </pre>
 *
 * <p>The checksum covers everything but the payload, and comes before it: a receiver checks the
 * header, flags and tags before it places one byte of page data, and can then have the payload
 * land in guest memory straight from the socket. Page data is covered end to end instead, by the
 * per-page fingerprints both sides compare before the target resumes (DESIGN.md, "Integrity
 * without copies").
 *
 * <p>Page flag byte: bits 0..2 data kind ({@link #DATA_ZERO}, {@link #DATA_RAW},
 * {@link #DATA_ZSTD}), bits 3..5 tag kind ({@code TagKind.code()}), bits 6..7 zero. A page is a
 * zero page only when both its data and its tags are zero; zero data with tags is not.
 *
 * <p>Inline data, page by page in order: {@code u32 n} then n zstd bytes (n + 4 &lt; page size)
 * for each compressed page; nothing for the others. Payload, page by page in order: page-size
 * bytes for each raw page, nothing for the others, so P = (raw pages) x page size.
 *
 * <p>Tag section, page by page in order, each in its {@code TagKind} form: nothing (ZERO), one
 * byte 0..15 (UNIFORM; the encoder uses ZERO for 0), page-size/32 bytes (PACKED), or runs (RLE, see
 * {@code TagRle}; only when smaller than PACKED). With
 * batch flag {@link #BATCH_TAGS_ZSTD} the whole section of R bytes is one zstd block of T
 * bytes; otherwise T == R.
 *
 * <p>frame length == C + P, exactly.
 */
public final class PageBatchLayout {

    public static final int SLOT_OFFSET = 8;
    public static final int PAGE_COUNT_OFFSET = 12;
    public static final int ROUND_OFFSET = 16;
    public static final int FIRST_PAGE_OFFSET = 24;
    public static final int PAGE_SHIFT_OFFSET = 32;
    public static final int BATCH_FLAGS_OFFSET = 33;
    public static final int BATCH_RESERVED_OFFSET = 34;
    /** Bytes of inline (compressed) page data; raw pages travel in the payload. */
    public static final int INLINE_LENGTH_OFFSET = 36;
    public static final int TAG_LENGTH_OFFSET = 40;
    public static final int TAG_RAW_LENGTH_OFFSET = 44;
    public static final int PAGE_FLAGS_OFFSET = 48;
    public static final int HEADER_LENGTH = PAGE_FLAGS_OFFSET;

    public static final int BATCH_TAGS_ZSTD = 0x01;
    public static final int KNOWN_BATCH_FLAGS = BATCH_TAGS_ZSTD;

    public static final int DATA_ZERO = 0;
    public static final int DATA_RAW = 1;
    public static final int DATA_ZSTD = 2;
    public static final int DATA_KIND_MASK = 0x07;
    public static final int TAG_KIND_SHIFT = 3;
    public static final int TAG_KIND_MASK = 0x07 << TAG_KIND_SHIFT;
    public static final int RESERVED_PAGE_FLAGS = 0xC0;

    /** Bytes of the u32 length in front of each zstd-compressed page. */
    public static final int ZSTD_PAGE_PREFIX = 4;

    private PageBatchLayout() {
    }

    /** Bytes from the frame's start through its CRC: everything a receiver checks before the payload. */
    public static long checkedLength(long pageCount, long inlineLength, long tagLength) {
        return HEADER_LENGTH + pageCount + inlineLength + tagLength + FrameLayout.CRC_LENGTH;
    }

    static int dataKind(int pageFlags) {
        return pageFlags & DATA_KIND_MASK;
    }

    static int tagKindCode(int pageFlags) {
        return (pageFlags & TAG_KIND_MASK) >>> TAG_KIND_SHIFT;
    }
}
