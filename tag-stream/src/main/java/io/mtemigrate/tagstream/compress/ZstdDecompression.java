package io.mtemigrate.tagstream.compress;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;

/**
 * Decompresses one zstd block whose exact decompressed size is known (a page, or a tag section).
 * The native context is per thread: pages may be applied on several threads at once.
 */
public final class ZstdDecompression {

    private static final ThreadLocal<ZstdDecompressCtx> CTX = ThreadLocal.withInitial(ZstdDecompressCtx::new);

    private ZstdDecompression() {
    }

    /**
     * Decompresses {@code srcLength} bytes at absolute {@code srcOffset} of {@code src} into exactly
     * {@code expected} bytes at absolute {@code dstOffset} of {@code dst}. Neither buffer's
     * position or limit changes.
     *
     * @throws IllegalArgumentException when the block is corrupt or not exactly {@code expected} bytes long
     */
    public static void decompress(ByteBuffer src, int srcOffset, int srcLength, ByteBuffer dst, int dstOffset, int expected) {
        int n;
        try {
            if (src.isDirect() && dst.isDirect()) {
                n = CTX.get().decompressDirectByteBuffer(dst, dstOffset, expected, src, srcOffset, srcLength);
            } else {
                byte[] in = new byte[srcLength];
                src.get(srcOffset, in);
                byte[] out = new byte[expected];
                n = CTX.get().decompressByteArray(out, 0, expected, in, 0, srcLength);
                dst.put(dstOffset, out, 0, n);
            }
        } catch (ZstdException e) {
            throw new IllegalArgumentException("zstd block of " + srcLength + " bytes is corrupt: " + e.getMessage(), e);
        }
        if (n != expected) {
            throw new IllegalArgumentException("zstd block of " + srcLength + " bytes decompressed to " + n
                    + " bytes, expected " + expected);
        }
    }
}
