package io.mtemigrate.vmsim.uffd;

/**
 * Numbers of linux/userfaultfd.h that the emulator's userfaultfd answers to, and the proposed extension's (marked
 * so): see the package overview for the extension's text.
 */
public final class UffdConstants {
    public static final long UFFDIO_REGISTER_MODE_MISSING = 1L << 0;
    public static final long UFFDIO_REGISTER_MODE_WP = 1L << 1;
    public static final long UFFDIO_REGISTER_MODE_MINOR = 1L << 2;

    public static final long UFFDIO_COPY_MODE_DONTWAKE = 1L << 0;
    public static final long UFFDIO_COPY_MODE_WP = 1L << 1;
    /** Proposed: the page's tags come with its data, one byte per granule at {@code tags}. */
    public static final long UFFDIO_COPY_MODE_MTE_TAGS = 1L << 2;

    public static final long UFFDIO_ZEROPAGE_MODE_DONTWAKE = 1L << 0;
    /** Proposed: a zero page that is given tags, one byte per granule at {@code tags}. */
    public static final long UFFDIO_ZEROPAGE_MODE_MTE_TAGS = 1L << 1;

    /** {@code uffd_msg.arg.pagefault.flags}: the access was a write (data or tag store). */
    public static final long UFFD_PAGEFAULT_FLAG_WRITE = 1L << 0;

    /** Proposed: {@code UFFDIO_API} offers the MTE_TAGS modes; the next free bit after UFFD_FEATURE_MOVE. */
    public static final long UFFD_FEATURE_MTE_TAGS = 1L << 17;

    /** {@code _IOWR(UFFDIO, _UFFDIO_COPY, struct uffdio_copy)}: 40 bytes. */
    public static final long UFFDIO_COPY = 0xC028AA03L;
    /** Proposed: {@code _IOWR(UFFDIO, _UFFDIO_COPY, struct uffdio_copy_mte)}, uffdio_copy with {@code u64 tags} at 40. */
    public static final long UFFDIO_COPY_MTE = 0xC030AA03L;
    /** {@code _IOWR(UFFDIO, _UFFDIO_ZEROPAGE, struct uffdio_zeropage)}: 32 bytes. */
    public static final long UFFDIO_ZEROPAGE = 0xC020AA04L;
    /** Proposed: {@code _IOWR(UFFDIO, _UFFDIO_ZEROPAGE, struct uffdio_zeropage_mte)}, {@code u64 tags} at 32. */
    public static final long UFFDIO_ZEROPAGE_MTE = 0xC028AA04L;

    private UffdConstants() {
    }
}
