package io.mtemigrate.tagstream.frame;

/**
 * Byte and page counts of encoded frames, for the run report. {@link PageBatchEncoder#lastBatch()}
 * holds one frame's; {@link #add} accumulates them into a total. Not thread-safe: one per channel,
 * summed at the end.
 *
 * <p>{@code frameBytes == headerBytes + pageDataBytes + tagBytes}: header bytes are the fixed
 * header, the page flags and the CRC.
 */
public final class BatchCounters {

    private long frames;
    private long pages;
    private long zeroPages;
    private long frameBytes;
    private long headerBytes;
    private long pageDataBytes;
    private long tagBytes;

    void set(int pageCount, int zeroPageCount, int frameLength, int dataLength, int tagLength) {
        frames = 1;
        pages = pageCount;
        zeroPages = zeroPageCount;
        frameBytes = frameLength;
        pageDataBytes = dataLength;
        tagBytes = tagLength;
        headerBytes = (long) frameLength - dataLength - tagLength;
    }

    public BatchCounters add(BatchCounters other) {
        frames += other.frames;
        pages += other.pages;
        zeroPages += other.zeroPages;
        frameBytes += other.frameBytes;
        headerBytes += other.headerBytes;
        pageDataBytes += other.pageDataBytes;
        tagBytes += other.tagBytes;
        return this;
    }

    public void reset() {
        frames = pages = zeroPages = frameBytes = headerBytes = pageDataBytes = tagBytes = 0;
    }

    public long frames() {
        return frames;
    }

    public long pages() {
        return pages;
    }

    /** Pages whose data and tags were both zero (sent as a flag only). */
    public long zeroPages() {
        return zeroPages;
    }

    public long frameBytes() {
        return frameBytes;
    }

    public long headerBytes() {
        return headerBytes;
    }

    /** The report's {@code pageDataBytes}: data sections as sent (compressed sizes when zstd). */
    public long pageDataBytes() {
        return pageDataBytes;
    }

    /** The report's {@code tagBytesOnWire}: tag sections as sent. */
    public long tagBytes() {
        return tagBytes;
    }

    @Override
    public String toString() {
        return "BatchCounters{frames=" + frames + ", pages=" + pages + ", zeroPages=" + zeroPages + ", frameBytes="
                + frameBytes + ", headerBytes=" + headerBytes + ", pageDataBytes=" + pageDataBytes + ", tagBytes="
                + tagBytes + '}';
    }
}
