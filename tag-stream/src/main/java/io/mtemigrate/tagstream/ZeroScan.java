package io.mtemigrate.tagstream;

import io.netty.buffer.ByteBuf;

/** Finds all-zero pages eight longs (64 bytes) per step, stopping at the first non-zero block. */
public final class ZeroScan {

    private ZeroScan() {
    }

    /** Whether {@code length} bytes at {@code index} are all zero; {@code length} a multiple of 64. */
    public static boolean isZero(ByteBuf buf, int index, int length) {
        for (int i = index, end = index + length; i < end; i += 64) {
            long any = buf.getLong(i) | buf.getLong(i + 8) | buf.getLong(i + 16) | buf.getLong(i + 24)
                    | buf.getLong(i + 32) | buf.getLong(i + 40) | buf.getLong(i + 48) | buf.getLong(i + 56);
            if (any != 0) {
                return false;
            }
        }
        return true;
    }
}
