package io.mtemigrate.vmsim.machine;

import java.util.Locale;

/** What guest RAM and tags hold when the VM boots, deterministic from the seed. */
public enum Fill {
    /** Zero data, zero tags: pages that cost a flag on the wire. */
    ZERO,
    /** Random data, a random tag per granule: the worst case for compression. */
    RANDOM,
    /** A regular data pattern and cycling tags. */
    PATTERN,
    /** Random data with tags the way an MTE allocator leaves them: blocks of 16 B to 4 KiB sharing a tag. */
    ALLOC;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
