package io.mtemigrate.vmsim.vmm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One memslot's guest RAM as the VMM maps it: a shared mapping of a memory file, whose holes the guest never
 * wrote (they read as zero, with zero tags). Offsets are from the start of the slot.
 */
public interface RamSlot {
    /** The memslot id the guest's layout and the wire use. */
    int id();

    long guestPhysAddr();

    long size();

    /** The slot's whole mapping; the guest writes through it while it runs. */
    MemorySegment segment();

    /** A buffer over the part of the mapping that holds {@code offset}; buffers address at most 2 GiB. */
    ByteBuffer chunk(long offset);

    /** Where {@code offset} lies in {@link #chunk(long)}'s buffer. */
    int offsetInChunk(long offset);

    /** The first offset at or after {@code offset} that may hold data ({@code lseek(SEEK_DATA)}); size() if none. */
    long nextData(long offset);

    /** The first hole at or after {@code offset} ({@code lseek(SEEK_HOLE)}); size() at the end. */
    long nextHole(long offset);
}
