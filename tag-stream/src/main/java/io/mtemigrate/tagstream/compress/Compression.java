package io.mtemigrate.tagstream.compress;

import io.netty.buffer.ByteBuf;

/**
 * A compression strategy as the configuration names it: shareable, it opens one
 * {@link Compressor} per encoder. Off by default; zstd only when both peers listed it in the
 * handshake.
 */
@FunctionalInterface
public interface Compression {

    Compressor open();

    /** Never compresses: every page goes raw (or as a zero flag). */
    static Compression none() {
        return NoCompressor::new;
    }

    /** zstd at {@code level} (1 is fast and already halves typical guest pages). */
    static Compression zstd(int level) {
        return () -> new ZstdCompressor(level);
    }

    /** The compressor behind {@link #none()}. */
    final class NoCompressor implements Compressor {
        @Override
        public int compressInto(ByteBuf src, int srcIndex, int length, ByteBuf dst, int dstIndex, int maxBytes) {
            return -1;
        }

        @Override
        public void close() {
        }
    }
}
