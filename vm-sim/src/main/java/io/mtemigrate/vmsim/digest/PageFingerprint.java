package io.mtemigrate.vmsim.digest;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Computes page fingerprints ({@link RamDigest}) without allocating: it keeps its CRC32C and a private view of the
 * last buffers it read, since guest memory is shared by threads and its position must never move. Not thread-safe:
 * one per thread.
 */
public final class PageFingerprint {
    private final CRC32C crc = new CRC32C();
    private ByteBuffer dataSource;
    private ByteBuffer dataView;
    private ByteBuffer tagSource;
    private ByteBuffer tagView;

    /** The fingerprint of one page; {@code tags} null for a VM without MTE. */
    public long page(int slot, long page, ByteBuffer data, int dataOffset, int pageSize, ByteBuffer tags,
                     int tagOffset) {
        return RamDigest.combine(slot, page, dataCrc(data, dataOffset, pageSize), tagCrc(tags, tagOffset, pageSize >>> 4));
    }

    /** The fingerprint of a page whose data is all zero, from its tags alone. */
    public long zeroDataPage(int slot, long page, int pageSize, ByteBuffer tags, int tagOffset) {
        return RamDigest.combine(slot, page, RamDigest.zeroDataCrc(pageSize), tagCrc(tags, tagOffset, pageSize >>> 4));
    }

    /** CRC32C of {@code length} bytes of {@code data} at {@code offset}. */
    public int dataCrc(ByteBuffer data, int offset, int length) {
        if (data != dataSource) {
            dataSource = data;
            dataView = data.duplicate();
        }
        return crc(dataView, offset, length);
    }

    /** CRC32C of a page's {@code length} tag bytes at {@code offset}; 0 when there are no tags ({@code null}). */
    public int tagCrc(ByteBuffer tags, int offset, int length) {
        if (tags == null) {
            return 0;
        }
        if (tags != tagSource) {
            tagSource = tags;
            tagView = tags.duplicate();
        }
        return crc(tagView, offset, length);
    }

    private int crc(ByteBuffer view, int offset, int length) {
        view.limit(offset + length).position(offset);
        crc.reset();
        crc.update(view);
        return (int) crc.getValue();
    }

    static int crcOfZeros(int length) {
        CRC32C zeros = new CRC32C();
        zeros.update(new byte[length]);
        return (int) zeros.getValue();
    }
}
