package io.mtemigrate.tagstream.tags;

import io.mtemigrate.tagstream.PageSize;

/**
 * Chooses how one page's tags travel, from what one {@link TagScan} pass found. A strategy so
 * that the handshake's agreed encodings, or a benchmark's forced one, plug in without flags.
 */
public interface TagEncodingPolicy {

    /**
     * @param runs     runs of equal tags in the page (1 = uniform)
     * @param firstTag the first tag (with one run, every tag)
     */
    TagKind choose(int runs, int firstTag, PageSize pageSize);

    /** Bytes a page takes on the wire in this kind (before any batch-level compression). */
    static int wireSize(TagKind kind, int runs, PageSize pageSize) {
        return switch (kind) {
            case ZERO -> 0;
            case UNIFORM -> 1;
            case PACKED -> pageSize.packedTagBytes();
            case RLE -> TagRle.encodedSize(runs);
        };
    }
}
