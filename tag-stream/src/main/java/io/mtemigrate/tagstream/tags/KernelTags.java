package io.mtemigrate.tagstream.tags;

/**
 * The kernel's tag buffer format, as {@code KVM_ARM_MTE_COPY_TAGS} and
 * {@code PTRACE_PEEKMTETAGS} use it: one byte per 16-byte granule, the tag in the low nibble.
 *
 * <p>FROM_GUEST only ever produces values 0..15. TO_GUEST uses only the low 4 bits of each byte
 * and silently drops the upper nibble. The encoders do the same: an upper nibble in their input is
 * masked off, never rejected and never sent, so {@code decode(encode(x)) == x & 0x0F} per byte
 * and, for every buffer FROM_GUEST can produce, {@code decode(encode(x)) == x}.
 */
public final class KernelTags {

    /** Keeps the tag nibble of each of the 8 kernel-format bytes in a long. */
    public static final long TAG_MASK = 0x0F0F_0F0F_0F0F_0F0FL;

    /** Multiplying a tag 0..15 by this repeats it in all 8 bytes of a long. */
    public static final long REPEAT_BYTE = 0x0101_0101_0101_0101L;

    private KernelTags() {
    }
}
