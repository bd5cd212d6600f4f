package io.mtemigrate.migration;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.machine.MachineLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A layout's origin crosses the wire byte for byte, and is empty when nobody set one. */
class WireFormsOriginTest {
    private final MachineLayout plain = MachineLayout.singleSlot(PageSize.SIZE_4K, true, 0x4000_0000L, 1 << 20, 2);

    @Test
    void shouldCarryTheOriginUntouched() {
        byte[] origin = {1, 2, 3, 0, (byte) 0xFF};
        MachineLayout sent = plain.withOrigin(origin);
        MachineLayout received = WireForms.layout(WireForms.layout(sent));
        assertArrayEquals(origin, received.origin());
        assertEquals(sent, received);
    }

    @Test
    void shouldLeaveAnUnsetOriginEmpty() {
        MachineLayout received = WireForms.layout(WireForms.layout(plain));
        assertEquals(0, received.origin().length);
        assertEquals(plain, received);
        assertNotEquals(plain, plain.withOrigin(new byte[]{7}));
    }
}
