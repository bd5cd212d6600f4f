package io.mtemigrate.tagstream;

/**
 * Sizes a receiver accepts, checked before anything is allocated, so that a hostile or corrupt
 * length field can never make it reserve gigabytes.
 *
 * @param maxFrameBytes    largest frame, header and checksum included
 * @param maxPagesPerBatch largest page count of one page-batch frame
 * @param maxControlBytes  largest serialized control message
 */
public record FrameLimits(int maxFrameBytes, int maxPagesPerBatch, int maxControlBytes) {

    /** 64 MiB frames hold 1024 raw 64 KiB pages (with tags) or 16384 raw 4 KiB ones. */
    public static final FrameLimits DEFAULT = new FrameLimits(64 << 20, 16_384, 1 << 20);

    public FrameLimits {
        if (maxFrameBytes < 64 || maxPagesPerBatch < 1 || maxControlBytes < 1) {
            throw new IllegalArgumentException("frame limits too small: " + maxFrameBytes + " bytes, "
                    + maxPagesPerBatch + " pages, " + maxControlBytes + " control bytes");
        }
    }
}
