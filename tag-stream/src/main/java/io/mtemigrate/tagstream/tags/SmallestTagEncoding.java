package io.mtemigrate.tagstream.tags;

import io.mtemigrate.tagstream.PageSize;
import java.util.EnumSet;
import java.util.Set;

/**
 * Picks the smallest encoding among those both peers accept. PACKED is always allowed: it can
 * carry any page, so there is always a choice.
 */
public final class SmallestTagEncoding implements TagEncodingPolicy {

    private final boolean zero;
    private final boolean uniform;
    private final boolean rle;

    public SmallestTagEncoding(Set<TagKind> allowed) {
        this.zero = allowed.contains(TagKind.ZERO);
        this.uniform = allowed.contains(TagKind.UNIFORM);
        this.rle = allowed.contains(TagKind.RLE);
    }

    /** Every encoding this library knows. */
    public static SmallestTagEncoding all() {
        return new SmallestTagEncoding(EnumSet.allOf(TagKind.class));
    }

    @Override
    public TagKind choose(int runs, int firstTag, PageSize pageSize) {
        if (runs == 1 && firstTag == 0 && zero) {
            return TagKind.ZERO;
        }
        if (runs == 1 && uniform) {
            return TagKind.UNIFORM;
        }
        if (rle && TagRle.encodedSize(runs) < pageSize.packedTagBytes()) {
            return TagKind.RLE;
        }
        return TagKind.PACKED;
    }
}
