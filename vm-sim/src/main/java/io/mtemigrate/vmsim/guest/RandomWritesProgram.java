package io.mtemigrate.vmsim.guest;

/**
 * Rewrites granules chosen at random: uniformly over the region ({@code random}), or mostly inside a small hot set
 * at the region's start with a rare write anywhere ({@code hotset}). One write in eight also gives the granule a
 * new tag.
 */
final class RandomWritesProgram implements GuestProgram {
    private static final int GRANULES_PER_STEP = 4;
    private static final long MAX_HOT_BYTES = 4L << 20;
    /** One access in this many leaves the hot set. */
    private static final int COLD_ONE_IN = 64;

    private final boolean hotSet;

    RandomWritesProgram(boolean hotSet) {
        this.hotSet = hotSet;
    }

    static long hotBytes(long regionSize) {
        return Math.max(16, Math.min(MAX_HOT_BYTES, regionSize / 16) & ~15L);
    }

    @Override
    public void step(GuestContext cpu) {
        long base = cpu.x(ProgramRegisters.REGION_BASE);
        long granules = cpu.x(ProgramRegisters.REGION_SIZE) >>> 4;
        long hotGranules = hotBytes(cpu.x(ProgramRegisters.REGION_SIZE)) >>> 4;
        for (int i = 0; i < GRANULES_PER_STEP; i++) {
            long choice = ProgramRegisters.nextRandom(cpu);
            boolean cold = !hotSet || Long.remainderUnsigned(choice >>> 40, COLD_ONE_IN) == 0;
            long granule = Long.remainderUnsigned(choice, cold ? granules : hotGranules);
            SelfDescribingGranules.checkAndRewrite(cpu, base + (granule << 4), (choice >>> 61) == 0);
        }
    }

    @Override
    public int bytesPerStep() {
        return GRANULES_PER_STEP * 16;
    }
}
