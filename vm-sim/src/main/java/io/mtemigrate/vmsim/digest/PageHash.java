package io.mtemigrate.vmsim.digest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fast 64-bit hash of page data and tags. Four independent lanes keep the multiplier busy (about 8 bytes per
 * cycle); each lane step {@code rotl(lane ^ word) * odd} is a bijection of the word, so any change confined to one
 * lane always changes the hash. It is not cryptographic: it detects accidents, the frame CRCs and the transport
 * authenticate.
 */
public final class PageHash {
    private static final long M = 0x9E3779B97F4A7C15L;
    private static final long K1 = 0xC2B2AE3D27D4EB4FL;
    private static final long K2 = 0x165667B19E3779F9L;
    private static final long K3 = 0xD6E8FEB86659FD93L;
    private static final long K4 = 0xFF51AFD7ED558CCDL;

    private PageHash() {
    }

    /** Hashes {@code length} bytes (a multiple of 32) at {@code offset}; the buffer is read as little-endian. */
    public static long hash(ByteBuffer buffer, int offset, int length, long seed) {
        boolean swap = buffer.order() != ByteOrder.LITTLE_ENDIAN;
        long a = seed ^ K1;
        long b = seed ^ K2;
        long c = seed ^ K3;
        long d = seed ^ K4;
        int end = offset + length;
        for (int i = offset; i < end; i += 32) {
            long w0 = buffer.getLong(i);
            long w1 = buffer.getLong(i + 8);
            long w2 = buffer.getLong(i + 16);
            long w3 = buffer.getLong(i + 24);
            if (swap) {
                w0 = Long.reverseBytes(w0);
                w1 = Long.reverseBytes(w1);
                w2 = Long.reverseBytes(w2);
                w3 = Long.reverseBytes(w3);
            }
            a = Long.rotateLeft(a ^ w0, 29) * M;
            b = Long.rotateLeft(b ^ w1, 29) * M;
            c = Long.rotateLeft(c ^ w2, 29) * M;
            d = Long.rotateLeft(d ^ w3, 29) * M;
        }
        return mix(a + Long.rotateLeft(b, 17) + Long.rotateLeft(c, 31) + Long.rotateLeft(d, 47) + length);
    }

    /** Hashes {@code count} zero bytes without reading any. */
    public static long hashZeros(int length, long seed) {
        long a = seed ^ K1;
        long b = seed ^ K2;
        long c = seed ^ K3;
        long d = seed ^ K4;
        for (int i = 0; i < length; i += 32) {
            a = Long.rotateLeft(a, 29) * M;
            b = Long.rotateLeft(b, 29) * M;
            c = Long.rotateLeft(c, 29) * M;
            d = Long.rotateLeft(d, 29) * M;
        }
        return mix(a + Long.rotateLeft(b, 17) + Long.rotateLeft(c, 31) + Long.rotateLeft(d, 47) + length);
    }

    /** MurmurHash3's finaliser: every input bit reaches every output bit. */
    public static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }
}
