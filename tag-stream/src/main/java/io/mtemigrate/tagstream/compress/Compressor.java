package io.mtemigrate.tagstream.compress;

import io.netty.buffer.ByteBuf;

/**
 * One channel's compressor (page data or a batch's tag section). Not thread-safe: it may own
 * native state and scratch space, which is why {@link Compression} hands out one per encoder.
 */
public interface Compressor extends AutoCloseable {

    /**
     * Compresses {@code length} bytes of {@code src} at {@code srcIndex} into {@code dst} at
     * {@code dstIndex}, without moving either buffer's indices.
     *
     * @return the compressed size if it is at most {@code maxBytes}, otherwise -1 (the caller
     *         sends the bytes as they are; what lies at {@code dst[dstIndex..]} is then garbage)
     */
    int compressInto(ByteBuf src, int srcIndex, int length, ByteBuf dst, int dstIndex, int maxBytes);

    @Override
    void close();
}
