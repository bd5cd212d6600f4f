package io.mtemigrate.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ControlMessageTest {

    @Test
    void shouldCarryAVcpuStateAsItsBackendsBytes() throws Exception {
        byte[] state = new byte[328];
        state[0] = 0x65;
        state[327] = 0x7f;
        ControlMessage message = ControlMessage.newBuilder().setVcpuState(VcpuState.newBuilder().setVcpuId(1)
                .setState(com.google.protobuf.ByteString.copyFrom(state))).build();

        ControlMessage parsed = ControlMessage.parseFrom(message.toByteArray());

        assertEquals(message, parsed);
        assertTrue(Arrays.equals(state, parsed.getVcpuState().getState().toByteArray()));
    }

    @Test
    void shouldNameTheBackendAndArchitectureInTheLayout() throws Exception {
        VmLayout layout = VmLayout.newBuilder().setBackend("kvm").setArchitecture("x86_64").build();

        VmLayout parsed = VmLayout.parseFrom(layout.toByteArray());

        assertEquals("kvm", parsed.getBackend());
        assertEquals("x86_64", parsed.getArchitecture());
        assertFalse(VmLayout.getDefaultInstance().getBackend().equals("kvm"));
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
