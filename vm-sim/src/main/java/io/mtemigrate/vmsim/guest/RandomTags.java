package io.mtemigrate.vmsim.guest;

/**
 * IRG as the Arm ARM defines it when GCR_EL1.RRND is 0: four bits from a 16-bit LFSR kept in RGSR_EL1.SEED give
 * an offset, and the tag is the offset-th non-excluded tag after RGSR_EL1.TAG. Being a pure function of the
 * registers makes guest programs deterministic, and makes a migration that forgets RGSR_EL1 visible.
 */
public final class RandomTags {
    private RandomTags() {
    }

    /** The new RGSR_EL1 value after one IRG; its TAG field is the tag IRG returns. */
    public static long irg(long rgsr, int exclude) {
        exclude &= 0xFFFF;
        if (exclude == 0xFFFF) {
            return rgsr & ~0xFL;
        }
        int seed = (int) ((rgsr >>> 8) & 0xFFFF);
        int offset = 0;
        for (int i = 0; i < 4; i++) {
            int top = ((seed >>> 5) ^ (seed >>> 3) ^ (seed >>> 2) ^ seed) & 1;
            seed = (top << 15) | (seed >>> 1);
            offset |= top << i;
        }
        int tag = (int) (rgsr & 0xF);
        if (offset == 0) {
            while ((exclude & (1 << tag)) != 0) {
                tag = (tag + 1) & 0xF;
            }
        }
        while (offset != 0) {
            offset--;
            tag = (tag + 1) & 0xF;
            while ((exclude & (1 << tag)) != 0) {
                tag = (tag + 1) & 0xF;
            }
        }
        return (rgsr & ~0xFFFF0FL) | ((long) seed << 8) | tag;
    }
}
