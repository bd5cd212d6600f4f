package io.mtemigrate.vmsim.guest;

/**
 * A tagged heap in the manner of an MTE allocator (Scudo, glibc with MTE): blocks of 16 B to 4 KiB get a random
 * tag from IRG on allocation, are written and read only through pointers carrying that tag, and are retagged with
 * a different tag when freed so that a stale pointer faults.
 *
 * <p>Layout of the vCPU's region: a table of 16-byte entries (word 0: block size, 0 when free, and the block's tag
 * in bits 35:32; word 1: the entry's allocation count), then one 4 KiB block slot per entry. The table is the
 * program's heap metadata, in guest RAM; it is written through tag-0 pointers after the first steps tag it 0.
 */
final class AllocProgram implements GuestProgram {
    static final int SLOT_BYTES = 4096;
    private static final int ENTRY_BYTES = 16;
    private static final int INIT_GRANULES_PER_STEP = 64;
    private static final int SIZE_CLASSES = 9;

    static long entries(long regionSize) {
        return Math.max(1, (regionSize - SLOT_BYTES) / (SLOT_BYTES + ENTRY_BYTES));
    }

    static long heapOffset(long entries) {
        return (entries * ENTRY_BYTES + SLOT_BYTES - 1) & -SLOT_BYTES;
    }

    @Override
    public void step(GuestContext cpu) {
        long base = cpu.x(ProgramRegisters.REGION_BASE);
        long entries = entries(cpu.x(ProgramRegisters.REGION_SIZE));
        if (ProgramRegisters.phase(cpu.pc()) == ProgramRegisters.PHASE_INIT) {
            initTable(cpu, base, entries);
            return;
        }
        long index = ProgramRegisters.nextBelow(cpu, entries);
        long entry = TaggedPointers.withTag(base + index * ENTRY_BYTES, 0);
        long block = base + heapOffset(entries) + index * SLOT_BYTES;
        long header = cpu.load64(entry);
        long size = header & 0xFFFF_FFFFL;
        if (size == 0) {
            allocate(cpu, entry, block);
        } else {
            free(cpu, entry, TaggedPointers.withTag(block, (int) (header >>> 32) & 0xF), size);
        }
    }

    private static void initTable(GuestContext cpu, long base, long entries) {
        long cursor = cpu.x(ProgramRegisters.CURSOR);
        long tableBytes = entries * ENTRY_BYTES;
        long end = Math.min(tableBytes, cursor + INIT_GRANULES_PER_STEP * 16L);
        for (long offset = cursor; offset < end; offset += 16) {
            long pointer = TaggedPointers.withTag(base + offset, 0);
            cpu.storeTag(pointer);
            cpu.store64(pointer, 0);
            cpu.store64(pointer + 8, 0);
        }
        cpu.setX(ProgramRegisters.CURSOR, end);
        if (end == tableBytes) {
            cpu.setX(ProgramRegisters.CURSOR, 0);
            cpu.setPc(ProgramRegisters.pc((int) (cpu.pc() >>> 32), ProgramRegisters.PHASE_RUN));
        }
    }

    private static void allocate(GuestContext cpu, long entry, long block) {
        long size = 16L << ProgramRegisters.nextBelow(cpu, SIZE_CLASSES);
        long pointer = cpu.randomTag(block, 0);
        for (long offset = 0; offset < size; offset += 16) {
            cpu.storeTag(pointer + offset);
        }
        long generation = cpu.load64(entry + 8) + 1;
        long seed = ProgramRegisters.nextRandom(cpu);
        for (long offset = 0; offset < size; offset += 8) {
            cpu.store64(pointer + offset, seed ^ (generation << 32) ^ offset);
        }
        cpu.store64(entry, size | ((long) TaggedPointers.tagOf(pointer) << 32));
        cpu.store64(entry + 8, generation);
    }

    private static void free(GuestContext cpu, long entry, long pointer, long size) {
        // Use the block once more, through its tag, like a program would before free(): this is the check.
        long first = cpu.load64(pointer);
        long last = cpu.load64(pointer + size - 8);
        long retagged = cpu.randomTag(pointer, 1 << TaggedPointers.tagOf(pointer));
        for (long offset = 0; offset < size; offset += 16) {
            cpu.storeTag(retagged + offset);
        }
        cpu.store64(entry, 0);
        cpu.store64(entry + 8, cpu.load64(entry + 8) ^ ((first ^ last) & 0xFFFF_0000_0000_0000L));
    }

    @Override
    public int bytesPerStep() {
        return 512;
    }
}
