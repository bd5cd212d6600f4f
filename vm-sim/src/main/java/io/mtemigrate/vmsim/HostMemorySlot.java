package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.vmm.RamSlot;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** A memslot's RAM in a {@link HostMemory} memory file, from {@code memoryOffset} on: what both backends map. */
public record HostMemorySlot(int id, long guestPhysAddr, long size, HostMemory memory, long memoryOffset)
        implements RamSlot {
    public static HostMemorySlot of(UserMemoryRegion region) {
        return new HostMemorySlot(region.slot(), region.guestPhysAddr(), region.memorySize(), region.memory(),
                region.memoryOffset());
    }

    @Override
    public MemorySegment segment() {
        return memory.segment().asSlice(memoryOffset, size);
    }

    @Override
    public ByteBuffer chunk(long offset) {
        return memory.chunk(memoryOffset + offset);
    }

    @Override
    public int offsetInChunk(long offset) {
        return HostMemory.offsetInChunk(memoryOffset + offset);
    }

    @Override
    public long nextData(long offset) {
        return Math.min(size, Math.max(offset, memory.nextData(memoryOffset + offset) - memoryOffset));
    }

    @Override
    public long nextHole(long offset) {
        return Math.min(size, Math.max(offset, memory.nextHole(memoryOffset + offset) - memoryOffset));
    }
}
