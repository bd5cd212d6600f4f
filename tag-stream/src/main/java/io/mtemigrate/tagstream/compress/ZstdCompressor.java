package io.mtemigrate.tagstream.compress;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * zstd through one reused native context. Direct buffers (guest RAM and pooled frames are direct)
 * are compressed in place with no copy; heap buffers go through scratch arrays owned here.
 */
final class ZstdCompressor implements Compressor {

    private final ZstdCompressCtx ctx = new ZstdCompressCtx();
    private byte[] srcScratch = new byte[0];
    private byte[] dstScratch = new byte[0];

    ZstdCompressor(int level) {
        ctx.setLevel(level);
    }

    @Override
    public int compressInto(ByteBuf src, int srcIndex, int length, ByteBuf dst, int dstIndex, int maxBytes) {
        if (maxBytes <= 0) {
            return -1;
        }
        try {
            if (src.isDirect() && dst.isDirect() && src.nioBufferCount() == 1 && dst.nioBufferCount() == 1) {
                // Both buffers are private to the calling encoder, so their internal views are safe to use.
                ByteBuffer s = src.internalNioBuffer(srcIndex, length);
                ByteBuffer d = dst.internalNioBuffer(dstIndex, maxBytes);
                return ctx.compressDirectByteBuffer(d, d.position(), maxBytes, s, s.position(), length);
            }
            if (srcScratch.length < length) {
                srcScratch = new byte[length];
            }
            if (dstScratch.length < maxBytes) {
                dstScratch = new byte[maxBytes];
            }
            src.getBytes(srcIndex, srcScratch, 0, length);
            int n = ctx.compressByteArray(dstScratch, 0, maxBytes, srcScratch, 0, length);
            dst.setBytes(dstIndex, dstScratch, 0, n);
            return n;
        } catch (ZstdException e) {
            // "Destination buffer is too small": the data does not shrink enough to be worth it.
            return -1;
        }
    }

    @Override
    public void close() {
        ctx.close();
    }
}
