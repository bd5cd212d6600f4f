package io.mtemigrate.tagstream.frame;

import io.mtemigrate.tagstream.PageSize;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The CRC32C of one page's data: the data part of the page fingerprint both sides of a migration
 * take (vm-sim's {@code RamDigest} combines it with the tags' CRC and the page's place), and how
 * the encoder finds zero pages in the same read. The JDK computes it with the CPU's CRC32
 * instruction, a few percent of a memory copy.
 */
public final class PageCrc {

    private static final int[] ZERO_PAGE = new int[17];

    static {
        CRC32C crc = new CRC32C();
        for (PageSize size : PageSize.values()) {
            crc.reset();
            crc.update(new byte[size.bytes()]);
            ZERO_PAGE[size.shift()] = (int) crc.getValue();
        }
    }

    private PageCrc() {
    }

    /**
     * The CRC32C of {@code length} bytes of {@code view} at {@code index}. It moves the view's
     * position and limit (pass a duplicate the caller owns), so that no buffer is made per page.
     */
    public static int of(CRC32C crc, ByteBuffer view, int index, int length) {
        view.limit(index + length).position(index);
        crc.reset();
        crc.update(view);
        return (int) crc.getValue();
    }

    /** The CRC32C of a page of zeros. */
    public static int zeroPage(PageSize size) {
        return ZERO_PAGE[size.shift()];
    }
}
