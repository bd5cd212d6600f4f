package io.mtemigrate.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ControlMessageTest {

    @Test
    void shouldRoundTripVcpuStateWithMteRegisters() throws Exception {
        VcpuState.Builder state = VcpuState.newBuilder().setVcpuId(1).setSp(0x8000).setPc(0x4000_0000L)
                .setPstate(0x3c5).setSteps(1_000_000).setTagCheckFaults(2)
                .setMte(MteSysRegs.newBuilder().setGcrEl1(0x1_0000).setRgsrEl1(0x1234_5600)
                        .setTfsrEl1(1).setTfsre0El1(2));
        for (int i = 0; i < 31; i++) {
            state.addX(0x1000L * i);
        }
        ControlMessage message = ControlMessage.newBuilder().setVcpuState(state).build();

        ControlMessage parsed = ControlMessage.parseFrom(message.toByteArray());

        assertEquals(message, parsed);
        assertEquals(31, parsed.getVcpuState().getXCount());
        assertTrue(parsed.getVcpuState().hasMte());
    }

    @Test
    void shouldTellAbsentMteRegistersFromZeroOnes() throws Exception {
        ControlMessage message = ControlMessage.newBuilder()
                .setVcpuState(VcpuState.newBuilder().setVcpuId(0)).build();

        assertFalse(ControlMessage.parseFrom(message.toByteArray()).getVcpuState().hasMte());
    }

    @Test
    void shouldNeverUseZeroAsARealErrorCode() {
        assertEquals(0, ErrorCode.ERROR_CODE_UNSPECIFIED.getNumber());
        assertTrue(Arrays.stream(ErrorCode.values())
                .filter(c -> c != ErrorCode.UNRECOGNIZED && c != ErrorCode.ERROR_CODE_UNSPECIFIED)
                .allMatch(c -> c.getNumber() > 0));
    }

    @Test
    void shouldPinErrorCodeWireValues() {
        assertEquals(1, ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION.getNumber());
        assertEquals(6, ErrorCode.ERROR_CODE_CHECKSUM_MISMATCH.getNumber());
        assertEquals(7, ErrorCode.ERROR_CODE_DIGEST_MISMATCH.getNumber());
        assertEquals(12, ErrorCode.ERROR_CODE_VM_ERROR.getNumber());
    }
}
