package io.mtemigrate.vmsim.digest;

import java.nio.ByteBuffer;

/**
 * The digest of guest RAM and tags: the sum, modulo 2^64, of one fingerprint per page over (slot, page index, data,
 * tags). A sum does not care about order, so both sides of a migration can also keep it incrementally: subtract a
 * page's old fingerprint and add its new one as pages are sent and applied.
 *
 * <p>A page's fingerprint mixes its place with the CRC32C of its data and the CRC32C of its tags (kernel format, one
 * byte per granule; 0 for a VM without MTE). CRC32C is what a migration computes anyway while the page is in cache,
 * at a few percent of a memory copy, and it catches every burst of up to 32 flipped bits; {@link PageFingerprint}
 * computes it without allocating.
 */
public final class RamDigest {
    /** CRC32C of a zero page's data, and of its zero tags, by page shift. */
    private static final int[] ZERO_DATA_CRCS = new int[17];
    private static final int[] ZERO_TAG_CRCS = new int[17];

    static {
        for (int shift = 12; shift <= 16; shift += 2) {
            ZERO_DATA_CRCS[shift] = PageFingerprint.crcOfZeros(1 << shift);
            ZERO_TAG_CRCS[shift] = PageFingerprint.crcOfZeros((1 << shift) >>> 4);
        }
    }

    private RamDigest() {
    }

    /** The fingerprint of the page at {@code page} of {@code slot} from the CRC32C of its data and of its tags. */
    public static long combine(int slot, long page, int dataCrc, int tagCrc) {
        long where = ((long) slot << 48) ^ page;
        long content = ((long) dataCrc << 32) | (tagCrc & 0xFFFFFFFFL);
        return PageHash.mix(content ^ PageHash.mix(where + 0x632BE59BD9B4E019L));
    }

    /**
     * The fingerprint of one page: {@code data} holds the page's bytes at {@code dataOffset}; {@code tags} its tags in
     * the kernel format at {@code tagOffset}, or {@code null} for a VM without MTE. Makes a {@link PageFingerprint}
     * per call: hot paths keep one of their own.
     */
    public static long pageHash(int slot, long page, ByteBuffer data, int dataOffset, int pageSize, ByteBuffer tags,
                                int tagOffset) {
        return new PageFingerprint().page(slot, page, data, dataOffset, pageSize, tags, tagOffset);
    }

    /**
     * The fingerprint of a page whose data and tags are all zero, without reading either: zero tags ({@code mte})
     * or no tags.
     */
    public static long zeroPageHash(int slot, long page, int pageSize, boolean mte) {
        return combine(slot, page, zeroDataCrc(pageSize), mte ? zeroTagCrc(pageSize) : 0);
    }

    /** The CRC32C of a page of zeros. */
    public static int zeroDataCrc(int pageSize) {
        int shift = Integer.numberOfTrailingZeros(pageSize);
        return shift < ZERO_DATA_CRCS.length && ZERO_DATA_CRCS[shift] != 0 ? ZERO_DATA_CRCS[shift]
                : PageFingerprint.crcOfZeros(pageSize);
    }

    /** The CRC32C of a page's tags when all are zero. */
    public static int zeroTagCrc(int pageSize) {
        int shift = Integer.numberOfTrailingZeros(pageSize);
        return shift < ZERO_TAG_CRCS.length && ZERO_TAG_CRCS[shift] != 0 ? ZERO_TAG_CRCS[shift]
                : PageFingerprint.crcOfZeros(pageSize >>> 4);
    }

    public static String hex(long digest) {
        return String.format("%016x", digest);
    }
}
