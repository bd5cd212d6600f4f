package io.mtemigrate.tagstream.frame;

import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * What every frame shares, whatever its type. All integers are little-endian.
 *
 * <pre>
 *  0               4       5       6               8                       C-4             C             length
 *  +---------------+-------+-------+---------------+---------- ... --------+---------------+---- ... ----+
 *  | frame length  | type  |version|  reserved = 0 |   type-specific body  |    CRC32C     |   payload   |
 *  |     u32       |  u8   |  u8   |      u16      |                       |      u32      | (batch only)|
 *  +---------------+-------+-------+---------------+---------- ... --------+---------------+---- ... ----+
 * </pre>
 *
 * <ul>
 *   <li>frame length counts every byte of the frame, from offset 0 through the CRC;</li>
 *   <li>type: {@link #TYPE_CONTROL} (body = one serialized {@code ControlMessage}) or
 *       {@link #TYPE_PAGE_BATCH} (body = {@link PageBatchLayout}); 0 is never valid;</li>
 *   <li>version: the frame format version, {@link #VERSION}; the length, type and version
 *       fields keep their place in every future version so a reader can refuse cleanly;</li>
 *   <li>CRC32C (Castagnoli, {@link CRC32C}) over bytes {@code [0, C - 4)}: for a control frame
 *       C is the frame length; a page batch puts its raw page data after the CRC, outside it
 *       ({@link PageBatchLayout}), so it can land in guest memory without a copy.</li>
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

    /**
     * The frame format version this library writes and reads. 2: a page batch's raw page data
     * follows its CRC, outside it (version 1 checksummed page data inside the frame).
     */
    public static final int VERSION = 2;

    private FrameLayout() {
    }

    /**
     * Checks the 8-byte prefix at {@code start} (length against the limits, version, type) before
     * anything of the frame is buffered; returns the type.
     */
    static int checkPrefix(ByteBuf in, int start, FrameLimits limits, long frameIndex, long offset) {
        long length = in.getUnsignedIntLE(start + LENGTH_OFFSET);
        if (length < MIN_FRAME_LENGTH || length > limits.maxFrameBytes()) {
            throw new FrameException(frameIndex, offset, "frame length " + length + ", expected " + MIN_FRAME_LENGTH
                    + ".." + limits.maxFrameBytes());
        }
        int version = in.getUnsignedByte(start + VERSION_OFFSET);
        if (version != VERSION) {
            throw new FrameException(frameIndex, offset, "frame format version " + version + ", this decoder reads"
                    + " version " + VERSION + (version < VERSION ? " (the peer or file is from an older mte-migrate)" : ""));
        }
        int type = in.getUnsignedByte(start + TYPE_OFFSET);
        if (type != TYPE_CONTROL && type != TYPE_PAGE_BATCH) {
            throw new FrameException(frameIndex, offset, "unknown frame type " + type + ", expected " + TYPE_CONTROL
                    + " (control) or " + TYPE_PAGE_BATCH + " (page batch)");
        }
        return type;
    }

    /** Checks a whole control frame's CRC and reserved bytes. */
    static void checkControlCrc(ByteBuf in, int start, int frameLength, long frameIndex, long offset) {
        int stored = in.getIntLE(start + frameLength - CRC_LENGTH);
        int computed = crc32c(in, start, frameLength - CRC_LENGTH);
        if (stored != computed) {
            throw new FrameException(frameIndex, offset, "CRC32C mismatch: frame carries 0x"
                    + Integer.toHexString(stored) + ", its " + (frameLength - CRC_LENGTH) + " bytes give 0x"
                    + Integer.toHexString(computed));
        }
        if (in.getUnsignedShortLE(start + RESERVED_OFFSET) != 0) {
            throw new FrameException(frameIndex, offset, "reserved prefix bytes are not zero");
        }
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
