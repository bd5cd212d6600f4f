package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FootprintTest {
    private static final long RAM = 64L << 20;

    private static MachineSpec guest(Fill fill, Workload workload, long steps, boolean mte) {
        return new MachineSpec(RAM, PageSize.SIZE_4K, 2, mte, workload, fill, 1, steps, 0);
    }

    @Test
    void shouldCostNothingForAZeroGuestThatWritesNothing() {
        assertEquals(0, Footprint.bytes(guest(Fill.ZERO, Workload.IDLE, 1_000_000, true)));
    }

    @Test
    void shouldCountAllOfRamAndItsTagsForAnyFillButZero() {
        for (Fill fill : new Fill[]{Fill.RANDOM, Fill.PATTERN, Fill.ALLOC}) {
            assertEquals(RAM + RAM / 16, Footprint.bytes(guest(fill, Workload.IDLE, 100, true)), fill.cliName());
            assertEquals(RAM, Footprint.bytes(guest(fill, Workload.IDLE, 100, false)), fill.cliName() + " without MTE");
        }
    }

    @Test
    void shouldCountAPagePerGranuleAZeroGuestStoresToInItsSteps() {
        // alloc stores 512 bytes a step: 32 granules, each of which may land in a page of its own.
        assertEquals(10 * 2 * 32 * 4096L, Footprint.bytes(guest(Fill.ZERO, Workload.ALLOC, 10, false)));
    }

    @Test
    void shouldNeverCountMoreThanAllOfRam() {
        assertEquals(RAM + RAM / 16, Footprint.bytes(guest(Fill.ZERO, Workload.RANDOM, Long.MAX_VALUE / 2, true)));
        assertEquals(RAM + RAM / 16, Footprint.bytes(guest(Fill.ZERO, Workload.ALLOC, 0, true)),
                "a guest without a step budget runs until stopped");
    }
}
