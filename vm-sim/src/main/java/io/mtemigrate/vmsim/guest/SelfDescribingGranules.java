package io.mtemigrate.vmsim.guest;

/**
 * The convention that lets programs without a heap check tags: the low nibble of a granule's first word holds the
 * tag the granule was last given. A program reads it with tag checks overridden, then accesses the granule through
 * a pointer carrying that tag, so a tag lost or changed behind the guest's back raises a tag-check fault. The fill
 * patterns follow the same convention.
 */
public final class SelfDescribingGranules {
    private SelfDescribingGranules() {
    }

    /** The tag the granule at {@code address} says it has. */
    public static int expectedTag(GuestContext cpu, long address) {
        return (int) cpu.load64Unchecked(address) & 0xF;
    }

    /** First word of a granule carrying {@code tag}: random bits with the tag in the low nibble. */
    public static long firstWord(long random, int tag) {
        return (random & ~0xFL) | (tag & 0xF);
    }

    /**
     * Checks the granule at {@code address} with the tag it should have, optionally gives it a new random tag,
     * then rewrites its 16 bytes.
     */
    public static void checkAndRewrite(GuestContext cpu, long address, boolean retag) {
        long pointer = TaggedPointers.withTag(address, expectedTag(cpu, address));
        long old = cpu.load64(pointer + 8);
        long random = ProgramRegisters.nextRandom(cpu);
        if (retag) {
            pointer = cpu.randomTag(pointer, 0);
            cpu.storeTag(pointer);
        }
        cpu.store64(pointer, firstWord(random, TaggedPointers.tagOf(pointer)));
        cpu.store64(pointer + 8, old ^ random);
    }
}
