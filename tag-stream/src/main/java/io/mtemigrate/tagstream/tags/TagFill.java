package io.mtemigrate.tagstream.tags;

import io.netty.buffer.ByteBuf;

/** Fills kernel-format tag ranges with one tag, a long at a time where it can. */
public final class TagFill {

    private TagFill() {
    }

    public static void fill(ByteBuf dst, int index, int count, int tag) {
        long pattern = (tag & 0x0FL) * KernelTags.REPEAT_BYTE;
        int i = 0;
        for (; i + 8 <= count; i += 8) {
            dst.setLongLE(index + i, pattern);
        }
        for (; i < count; i++) {
            dst.setByte(index + i, tag);
        }
    }
}
