package io.mtemigrate.vmsim.guest;

import io.mtemigrate.vmsim.MteSysRegs;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomTagsTest {
    @Test
    void shouldNeverPickAnExcludedTag() {
        long rgsr = MteSysRegs.rgsr(0, 0xACE1);
        int exclude = 0b1010_0000_0000_0101;
        for (int i = 0; i < 10_000; i++) {
            rgsr = RandomTags.irg(rgsr, exclude);
            assertEquals(0, exclude & (1 << (rgsr & 0xF)), "picked excluded tag " + (rgsr & 0xF));
        }
    }

    @Test
    void shouldReachEveryAllowedTag() {
        long rgsr = MteSysRegs.rgsr(0, 0xACE1);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            rgsr = RandomTags.irg(rgsr, 1);
            seen.add(rgsr & 0xF);
        }
        assertEquals(15, seen.size());
    }

    @Test
    void shouldReturnTagZeroWhenEveryTagIsExcluded() {
        assertEquals(0, RandomTags.irg(MteSysRegs.rgsr(5, 0xACE1), 0xFFFF) & 0xF);
    }

    @Test
    void shouldBeAPureFunctionOfRgsrThatAdvancesTheSeed() {
        long rgsr = MteSysRegs.rgsr(3, 0x1234);
        assertEquals(RandomTags.irg(rgsr, 1), RandomTags.irg(rgsr, 1));
        assertNotEquals(rgsr >>> 8, RandomTags.irg(rgsr, 1) >>> 8);
        assertTrue((RandomTags.irg(rgsr, 1) & ~0xFFFF0FL) == 0, "only TAG and SEED change");
    }

    @Test
    void shouldStepTheLfsrAsTheArmArmDefines() {
        // seed 0x0001: top = s5^s3^s2^s0 = 1, so four steps shift in 1,0,0,0 ... computed by hand below.
        int seed = 0x0001;
        int offset = 0;
        for (int i = 0; i < 4; i++) {
            int top = ((seed >>> 5) ^ (seed >>> 3) ^ (seed >>> 2) ^ seed) & 1;
            seed = (top << 15) | (seed >>> 1);
            offset |= top << i;
        }
        long result = RandomTags.irg(MteSysRegs.rgsr(0, 0x0001), 0);
        assertEquals(seed, (int) (result >>> 8) & 0xFFFF);
        assertEquals(offset, (int) (result & 0xF), "with no exclusions the tag is start + offset");
    }
}
