package io.mtemigrate.vmsim.guest;

/**
 * Retags granules without touching their data, the way an allocator recolours freed memory. A migration that
 * only tracks data stores would miss these pages; the guest would notice on its next access through the tag it
 * expects.
 *
 * <p>Layout: a shadow table (one byte per target granule: the tag the program gave it), then the target area from
 * the next page boundary. The first steps tag the shadow 0 and record the target area's current tags with LDG.
 */
final class TagOnlyProgram implements GuestProgram {
    private static final int RETAGS_PER_STEP = 4;
    private static final int INIT_SHADOW_GRANULES_PER_STEP = 16;

    static long targetBytes(long regionSize, int pageSize) {
        long usable = regionSize - pageSize;
        return Math.max(0, usable / 17 * 16 / pageSize * pageSize);
    }

    static long targetOffset(long targetBytes, int pageSize) {
        long shadowBytes = targetBytes >>> 4;
        return (shadowBytes + pageSize - 1) / pageSize * pageSize;
    }

    @Override
    public void step(GuestContext cpu) {
        long base = cpu.x(ProgramRegisters.REGION_BASE);
        long target = targetBytes(cpu.x(ProgramRegisters.REGION_SIZE), cpu.pageSize());
        if (target == 0) {
            return;
        }
        long targetBase = base + targetOffset(target, cpu.pageSize());
        if (ProgramRegisters.phase(cpu.pc()) == ProgramRegisters.PHASE_INIT) {
            initShadow(cpu, base, targetBase, target >>> 4);
            return;
        }
        for (int i = 0; i < RETAGS_PER_STEP; i++) {
            long granule = ProgramRegisters.nextBelow(cpu, target >>> 4);
            long shadowWord = TaggedPointers.withTag(base + (granule & ~7L), 0);
            int shift = (int) (granule & 7) * 8;
            long tags = cpu.load64(shadowWord);
            int tag = (int) (tags >>> shift) & 0xF;
            long pointer = TaggedPointers.withTag(targetBase + (granule << 4), tag);
            cpu.load64(pointer);
            long retagged = cpu.randomTag(pointer, 1 << tag);
            cpu.storeTag(retagged);
            long newTag = TaggedPointers.tagOf(retagged);
            cpu.store64(shadowWord, (tags & ~(0xFFL << shift)) | (newTag << shift));
        }
    }

    private static void initShadow(GuestContext cpu, long base, long targetBase, long targetGranules) {
        long cursor = cpu.x(ProgramRegisters.CURSOR);
        long shadowGranules = (targetGranules + 15) >>> 4;
        long end = Math.min(shadowGranules, cursor + INIT_SHADOW_GRANULES_PER_STEP);
        for (long shadow = cursor; shadow < end; shadow++) {
            long pointer = TaggedPointers.withTag(base + (shadow << 4), 0);
            cpu.storeTag(pointer);
            for (int half = 0; half < 2; half++) {
                long word = 0;
                for (int j = 0; j < 8; j++) {
                    long granule = (shadow << 4) + half * 8 + j;
                    if (granule < targetGranules) {
                        word |= (long) TaggedPointers.tagOf(cpu.loadTag(targetBase + (granule << 4))) << (8 * j);
                    }
                }
                cpu.store64(pointer + half * 8, word);
            }
        }
        cpu.setX(ProgramRegisters.CURSOR, end);
        if (end == shadowGranules) {
            cpu.setX(ProgramRegisters.CURSOR, 0);
            cpu.setPc(ProgramRegisters.pc((int) (cpu.pc() >>> 32), ProgramRegisters.PHASE_RUN));
        }
    }

    @Override
    public int bytesPerStep() {
        return RETAGS_PER_STEP * 16;
    }
}
