package io.mtemigrate.tagstream.frame;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * What every frame shares, whatever its type. All integers are little-endian.
 *
 * <pre>
 *  0               4       5       6               8                       length-4        length
 *  +---------------+-------+-------+---------------+---------- ... --------+---------------+
 *  | frame length  | type  |version|  reserved = 0 |   type-specific body  |    CRC32C     |
 *  |     u32       |  u8   |  u8   |      u16      |                       |      u32      |
 *  +---------------+-------+-------+---------------+---------- ... --------+---------------+
 * </pre>
 *
 * <ul>
 *   <li>frame length counts every byte of the frame, from offset 0 through the CRC;</li>
 *   <li>type: {@link #TYPE_CONTROL} (body = one serialized {@code ControlMessage}) or
 *       {@link #TYPE_PAGE_BATCH} (body = {@link PageBatchLayout}); 0 is never valid;</li>
 *   <li>version: the frame format version, {@link #VERSION}; the length, type and version
 *       fields keep their place in every future version so a reader can refuse cleanly;</li>
 *   <li>CRC32C (Castagnoli, {@link CRC32C}) over bytes {@code [0, length - 4)}.</li>
 * </ul>
 */
public final class FrameLayout {

    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int VERSION_OFFSET = 5;
    public static final int RESERVED_OFFSET = 6;
    public static final int PREFIX_LENGTH = 8;
    public static final int CRC_LENGTH = 4;
    /** An empty control message: prefix and CRC only. */
    public static final int MIN_FRAME_LENGTH = PREFIX_LENGTH + CRC_LENGTH;

    public static final int TYPE_CONTROL = 1;
    public static final int TYPE_PAGE_BATCH = 2;

    /** The frame format version this library writes and reads. */
    public static final int VERSION = 1;

    private FrameLayout() {
    }

    /** Writes the prefix of a frame of {@code length} bytes at {@code index}. */
    static void setPrefix(ByteBuf buf, int index, int length, int type) {
        buf.setIntLE(index + LENGTH_OFFSET, length);
        buf.setByte(index + TYPE_OFFSET, type);
        buf.setByte(index + VERSION_OFFSET, VERSION);
        buf.setShortLE(index + RESERVED_OFFSET, 0);
    }

    /** Appends the CRC32C of everything written so far from {@code frameStart}. */
    static void appendCrc(ByteBuf buf, int frameStart) {
        buf.writeIntLE(crc32c(buf, frameStart, buf.writerIndex() - frameStart));
    }

    /** CRC32C of {@code length} bytes at {@code index}, read through NIO views: no copy. */
    public static int crc32c(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        }
        return (int) crc.getValue();
    }
}
