package io.mtemigrate.tagstream.file;

import java.nio.charset.StandardCharsets;

/**
 * A stream file: a recorded migration. Header, then exactly the frames the wire carried (see
 * {@code FrameLayout}), then a trailer. All integers little-endian.
 *
 * <pre>
 * header, at offset 0:
 *  0                               8               12              16                              24              28              32
 *  +-------------------------------+---------------+---------------+-------------------------------+---------------+---------------+
 *  | magic  89 'M' 'T' 'E' 'S' 'T' | file format   | frame format  |  created, ms since the epoch  | reserved = 0  | CRC32C of     |
 *  |        'R' 0A                 | version (u32) | version (u32) |            (u64)              |     (u32)     | bytes [0, 28) |
 *  +-------------------------------+---------------+---------------+-------------------------------+---------------+---------------+
 *
 * frames, from offset 32: frame after frame, no gaps.
 *
 * trailer, the last 32 bytes:
 *  0                               8                               16                              24              28              32
 *  +-------------------------------+-------------------------------+-------------------------------+---------------+---------------+
 *  | magic  89 'M' 'T' 'E' 'E' 'N' |        frame count (u64)      |  bytes of all frames (u64)    | CRC32C of all | CRC32C of     |
 *  |        'D' 0A                 |                               |                               | frame bytes   | bytes [0, 28) |
 *  +-------------------------------+-------------------------------+-------------------------------+---------------+---------------+
 * </pre>
 *
 * The trailer is written last and the file renamed into place only then, so a file without a
 * valid trailer was never finished. The 0x89 and 0x0A bytes catch text-mode transfers.
 */
public final class StreamFileLayout {

    public static final byte[] HEADER_MAGIC = {(byte) 0x89, 'M', 'T', 'E', 'S', 'T', 'R', 0x0A};
    public static final byte[] TRAILER_MAGIC = {(byte) 0x89, 'M', 'T', 'E', 'E', 'N', 'D', 0x0A};

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_VERSION_OFFSET = 8;
    public static final int FRAME_VERSION_OFFSET = 12;
    public static final int CREATED_OFFSET = 16;
    public static final int HEADER_RESERVED_OFFSET = 24;
    public static final int HEADER_CRC_OFFSET = 28;
    public static final int HEADER_LENGTH = 32;

    public static final int FRAME_COUNT_OFFSET = 8;
    public static final int FRAME_BYTES_OFFSET = 16;
    public static final int FRAMES_CRC_OFFSET = 24;
    public static final int TRAILER_CRC_OFFSET = 28;
    public static final int TRAILER_LENGTH = 32;

    /**
     * The stream file format version this library writes and reads (separate from releases). 2: frames of
     * format 2, whose page data follows each batch's CRC.
     */
    public static final int FORMAT_VERSION = 2;

    private StreamFileLayout() {
    }

    static String describe(byte[] magic) {
        StringBuilder text = new StringBuilder();
        for (byte b : magic) {
            text.append(String.format("%02x", b & 0xFF));
        }
        return text + " (\"" + new String(magic, StandardCharsets.ISO_8859_1).strip() + "\")";
    }
}
