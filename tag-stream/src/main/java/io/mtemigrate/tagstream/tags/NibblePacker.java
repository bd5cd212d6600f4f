package io.mtemigrate.tagstream.tags;

import io.netty.buffer.ByteBuf;

/**
 * Kernel format (one tag per byte) to packed nibbles (two tags per byte) and back, eight tags per
 * step with shifts and masks on a long. Packed byte k holds granule 2k in its low nibble and
 * granule 2k+1 in its high nibble.
 */
public final class NibblePacker {

    private NibblePacker() {
    }

    /** Appends {@code granules / 2} packed bytes to {@code out}; {@code granules} a multiple of 8. */
    public static void pack(ByteBuf kernelTags, int index, int granules, ByteBuf out) {
        for (int i = 0; i < granules; i += 8) {
            out.writeIntLE(pack8(kernelTags.getLongLE(index + i)));
        }
    }

    /** Writes {@code granules} kernel-format bytes at {@code dstIndex} from packed bytes at {@code srcIndex}. */
    public static void unpack(ByteBuf packed, int srcIndex, int granules, ByteBuf dst, int dstIndex) {
        for (int i = 0; i < granules; i += 8) {
            dst.setLongLE(dstIndex + i, unpack8(packed.getIntLE(srcIndex + i / 2)));
        }
    }

    /** Eight kernel-format tags (little-endian long) to four packed bytes (little-endian int). */
    static int pack8(long kernel) {
        long x = kernel & KernelTags.TAG_MASK;
        x = (x | (x >>> 4)) & 0x00FF_00FF_00FF_00FFL;
        x = (x | (x >>> 8)) & 0x0000_FFFF_0000_FFFFL;
        x = (x | (x >>> 16)) & 0x0000_0000_FFFF_FFFFL;
        return (int) x;
    }

    /** Four packed bytes back to eight kernel-format tags. */
    static long unpack8(int packed) {
        long x = packed & 0xFFFF_FFFFL;
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFFL;
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FFL;
        x = (x | (x << 4)) & KernelTags.TAG_MASK;
        return x;
    }
}
