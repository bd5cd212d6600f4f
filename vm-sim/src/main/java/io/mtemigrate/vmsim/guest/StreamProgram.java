package io.mtemigrate.vmsim.guest;

/**
 * Writes the whole region front to back, again and again, like a copy loop over a large buffer: each page gets a
 * fresh random tag as the stream enters it, and each granule is checked against its old tag before it is rewritten.
 */
final class StreamProgram implements GuestProgram {
    private static final int BYTES_PER_STEP = 256;

    @Override
    public void step(GuestContext cpu) {
        long base = cpu.x(ProgramRegisters.REGION_BASE);
        long size = cpu.x(ProgramRegisters.REGION_SIZE);
        long cursor = cpu.x(ProgramRegisters.CURSOR);
        if (cursor % cpu.pageSize() == 0) {
            cpu.setX(ProgramRegisters.CURRENT_TAG, TaggedPointers.tagOf(cpu.randomTag(base + cursor, 0)));
        }
        int tag = (int) cpu.x(ProgramRegisters.CURRENT_TAG);
        for (int offset = 0; offset < BYTES_PER_STEP; offset += 16) {
            long address = base + cursor + offset;
            long old = cpu.load64(TaggedPointers.withTag(address, SelfDescribingGranules.expectedTag(cpu, address)) + 8);
            long pointer = TaggedPointers.withTag(address, tag);
            cpu.storeTag(pointer);
            long random = ProgramRegisters.nextRandom(cpu);
            cpu.store64(pointer, SelfDescribingGranules.firstWord(random, tag));
            cpu.store64(pointer + 8, old + random);
        }
        cursor += BYTES_PER_STEP;
        cpu.setX(ProgramRegisters.CURSOR, cursor >= size ? 0 : cursor);
    }

    @Override
    public int bytesPerStep() {
        return BYTES_PER_STEP;
    }
}
