package io.mtemigrate.tagstream.frame;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.tags.SmallestTagEncoding;
import io.mtemigrate.tagstream.tags.TagEncodingPolicy;
import java.util.Objects;

/**
 * How a {@link PageBatchEncoder} encodes: strategies, not flags. Immutable and shareable; each
 * encoder opens its own compressors from it.
 *
 * @param pageCompression       page data (off unless negotiated)
 * @param tagSectionCompression a batch's whole tag section, kept only when it shrinks
 * @param tagPolicy             per-page tag encoding choice
 * @param limits                the receiver's limits the frames must respect
 */
public record EncoderConfig(Compression pageCompression, Compression tagSectionCompression,
                            TagEncodingPolicy tagPolicy, FrameLimits limits) {

    public EncoderConfig {
        Objects.requireNonNull(pageCompression, "pageCompression");
        Objects.requireNonNull(tagSectionCompression, "tagSectionCompression");
        Objects.requireNonNull(tagPolicy, "tagPolicy");
        Objects.requireNonNull(limits, "limits");
    }

    /** No compression, smallest of zero/uniform/RLE/packed per page, default limits. */
    public static EncoderConfig defaults() {
        return new EncoderConfig(Compression.none(), Compression.none(), SmallestTagEncoding.all(), FrameLimits.DEFAULT);
    }

    public EncoderConfig withPageCompression(Compression compression) {
        return new EncoderConfig(compression, tagSectionCompression, tagPolicy, limits);
    }

    public EncoderConfig withTagSectionCompression(Compression compression) {
        return new EncoderConfig(pageCompression, compression, tagPolicy, limits);
    }

    public EncoderConfig withTagPolicy(TagEncodingPolicy policy) {
        return new EncoderConfig(pageCompression, tagSectionCompression, policy, limits);
    }

    public EncoderConfig withLimits(FrameLimits newLimits) {
        return new EncoderConfig(pageCompression, tagSectionCompression, tagPolicy, newLimits);
    }
}
