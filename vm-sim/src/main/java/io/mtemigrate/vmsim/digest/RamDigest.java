package io.mtemigrate.vmsim.digest;

import java.nio.ByteBuffer;

/**
 * The digest of guest RAM and tags: the sum, modulo 2^64, of one hash per page over (slot, page index, data,
 * tags). A sum does not care about order, so both sides of a migration can also keep it incrementally: subtract a
 * page's old hash and add its new one as pages are sent and applied.
 */
public final class RamDigest {
    private static final long DATA_SEED = 0x6D74652D64617461L;
    private static final long TAG_SEED = 0x6D74652D74616773L;

    /** hashZeros of a 4K, 16K and 64K page, by page shift: the data hash of every zero page. */
    private static final long[] ZERO_DATA_HASHES = new long[17];
    /** The same for the page's tags when all are zero. */
    private static final long[] ZERO_TAG_HASHES = new long[17];

    static {
        for (int shift = 12; shift <= 16; shift += 2) {
            ZERO_DATA_HASHES[shift] = PageHash.hashZeros(1 << shift, DATA_SEED);
            ZERO_TAG_HASHES[shift] = PageHash.hashZeros((1 << shift) >>> 4, TAG_SEED);
        }
    }

    private RamDigest() {
    }

    /**
     * The hash of one page: {@code data} holds the page's bytes at {@code dataOffset}; {@code tags} its tags in the
     * kernel format (one byte per granule) at {@code tagOffset}, or {@code null} for a VM without MTE.
     */
    public static long pageHash(int slot, long page, ByteBuffer data, int dataOffset, int pageSize, ByteBuffer tags,
                                int tagOffset) {
        long dataHash = PageHash.hash(data, dataOffset, pageSize, DATA_SEED);
        long tagHash = tags == null ? 0 : PageHash.hash(tags, tagOffset, pageSize >>> 4, TAG_SEED);
        return combine(slot, page, dataHash, tagHash);
    }

    /** The hash of a page whose data is all zero, from its tags alone. */
    public static long zeroPageHash(int slot, long page, int pageSize, ByteBuffer tags, int tagOffset) {
        int shift = Integer.numberOfTrailingZeros(pageSize);
        long dataHash = shift < ZERO_DATA_HASHES.length && ZERO_DATA_HASHES[shift] != 0
                ? ZERO_DATA_HASHES[shift] : PageHash.hashZeros(pageSize, DATA_SEED);
        long tagHash = tags == null ? 0 : PageHash.hash(tags, tagOffset, pageSize >>> 4, TAG_SEED);
        return combine(slot, page, dataHash, tagHash);
    }

    /**
     * The hash of a page whose data and tags are all zero, without reading either: equal to
     * {@link #zeroPageHash(int, long, int, ByteBuffer, int)} over zero tags ({@code mte}) or no tags.
     */
    public static long zeroPageHash(int slot, long page, int pageSize, boolean mte) {
        int shift = Integer.numberOfTrailingZeros(pageSize);
        if (shift >= ZERO_DATA_HASHES.length || ZERO_DATA_HASHES[shift] == 0) {
            return zeroPageHash(slot, page, pageSize, mte ? ByteBuffer.allocate(pageSize >>> 4) : null, 0);
        }
        return combine(slot, page, ZERO_DATA_HASHES[shift], mte ? ZERO_TAG_HASHES[shift] : 0);
    }

    private static long combine(int slot, long page, long dataHash, long tagHash) {
        long where = ((long) slot << 48) ^ page;
        return PageHash.mix(dataHash ^ Long.rotateLeft(tagHash, 32) ^ PageHash.mix(where + 0x632BE59BD9B4E019L));
    }

    public static String hex(long digest) {
        return String.format("%016x", digest);
    }
}
