package io.mtemigrate.tagstream.frame;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** Where a frame's CRC sits in format 2, for tests that edit a frame and seal it again. */
final class TestFrames {

    private TestFrames() {
    }

    /**
     * Bytes the CRC covers plus the CRC: the whole frame for a control frame, the part before the
     * payload for a page batch (as its header's section lengths give it).
     */
    static long checkedLength(ByteBuf frame) {
        int start = frame.readerIndex();
        if (frame.getUnsignedByte(start + FrameLayout.TYPE_OFFSET) != FrameLayout.TYPE_PAGE_BATCH) {
            return frame.getUnsignedIntLE(start + FrameLayout.LENGTH_OFFSET);
        }
        return PageBatchLayout.checkedLength(frame.getUnsignedIntLE(start + PageBatchLayout.PAGE_COUNT_OFFSET),
                frame.getUnsignedIntLE(start + PageBatchLayout.INLINE_LENGTH_OFFSET),
                frame.getUnsignedIntLE(start + PageBatchLayout.TAG_LENGTH_OFFSET));
    }

    /** As {@link #checkedLength(ByteBuf)}, for a frame in an array; -1 when its header is cut off. */
    static long checkedLength(byte[] f) {
        if (f.length < FrameLayout.PREFIX_LENGTH) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (f[FrameLayout.TYPE_OFFSET] != FrameLayout.TYPE_PAGE_BATCH) {
            return Integer.toUnsignedLong(b.getInt(FrameLayout.LENGTH_OFFSET));
        }
        if (f.length < PageBatchLayout.HEADER_LENGTH) {
            return -1;
        }
        return PageBatchLayout.checkedLength(Integer.toUnsignedLong(b.getInt(PageBatchLayout.PAGE_COUNT_OFFSET)),
                Integer.toUnsignedLong(b.getInt(PageBatchLayout.INLINE_LENGTH_OFFSET)),
                Integer.toUnsignedLong(b.getInt(PageBatchLayout.TAG_LENGTH_OFFSET)));
    }

    /** Writes a fresh CRC32C over {@code [0, C-4)} at {@code C-4} of a frame whose header was edited. */
    static void resealCrc(ByteBuf frame) {
        int crcAt = frame.readerIndex() + (int) checkedLength(frame) - FrameLayout.CRC_LENGTH;
        frame.setIntLE(crcAt, FrameLayout.crc32c(frame, frame.readerIndex(), crcAt - frame.readerIndex()));
    }

    /** Seals bytes {@code [0, end - 4)} of {@code f} with their CRC32C at {@code end - 4}. */
    static void seal(byte[] f, int end) {
        CRC32C crc = new CRC32C();
        crc.update(f, 0, end - FrameLayout.CRC_LENGTH);
        int value = (int) crc.getValue();
        for (int i = 0; i < FrameLayout.CRC_LENGTH; i++) {
            f[end - FrameLayout.CRC_LENGTH + i] = (byte) (value >>> 8 * i);
        }
    }

    static byte[] bytes(ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }
}
