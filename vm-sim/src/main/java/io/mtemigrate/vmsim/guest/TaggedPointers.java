package io.mtemigrate.vmsim.guest;

/** Bits 59:56 of a pointer hold its MTE tag; the top byte is ignored by address translation. */
public final class TaggedPointers {
    public static final int TAG_SHIFT = 56;
    public static final long ADDRESS_MASK = (1L << TAG_SHIFT) - 1;

    private TaggedPointers() {
    }

    public static int tagOf(long pointer) {
        return (int) (pointer >>> TAG_SHIFT) & 0xF;
    }

    public static long address(long pointer) {
        return pointer & ADDRESS_MASK;
    }

    public static long withTag(long address, int tag) {
        return (address & ADDRESS_MASK) | ((long) (tag & 0xF) << TAG_SHIFT);
    }
}
