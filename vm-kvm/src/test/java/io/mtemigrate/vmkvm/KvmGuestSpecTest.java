package io.mtemigrate.vmkvm;

import io.mtemigrate.vmsim.machine.MachineLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvmGuestSpecTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0          | 1 | 10          | 4096 | positive multiple of 4 KiB",
            "4097       | 1 | 10          | 4096 | positive multiple of 4 KiB",
            "3221225472 | 1 | 10          | 4096 | up to 3071 MiB",
            "1048576    | 0 | 10          | 4096 | at least one vCPU",
            "1048576    | 65| 10          | 4096 | at least 4 pages",
            "1048576    | 1 | -1          | 4096 | steps must be 0",
            "1048576    | 1 | 4294967296  | 4096 | steps must be 0",
            "1048576    | 1 | 10          | 0    | a power of two",
            "1048576    | 1 | 10          | 1000 | a power of two"})
    void shouldRefuseGuestsItCannotRun(long ram, int vcpus, long steps, int exitInterval, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvmGuestSpec.of(ram, vcpus, 1, steps).withExitInterval(exitInterval));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void shouldGiveEachVcpuItsOwnRegionAboveTheCode() {
        KvmGuestSpec spec = KvmGuestSpec.of(3L << 20, 3, 1, 10);
        assertEquals(1L << 20, spec.regionBytes());
        assertEquals(KvmGuestSpec.RAM_BASE + (2L << 20), spec.regionBase(2));
        MachineLayout layout = spec.layout();
        assertEquals(KvmMachine.KIND, layout.kind());
        assertEquals(2, layout.slots().size());
        assertTrue(layout.slots().get(0).size() <= KvmGuestSpec.RAM_BASE, "the code slot lies below RAM");
        assertEquals(3L << 20, layout.slots().get(1).size());
        assertNotEquals(spec.randomState(0), spec.randomState(1));
        assertNotEquals(spec.randomState(0), spec.withSeed(2).randomState(0));
    }
}
