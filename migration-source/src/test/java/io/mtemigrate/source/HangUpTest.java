package io.mtemigrate.source;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HangUpTest {
    @Test
    void shouldTreatEveryFormOfAPeerHangUpAlike() {
        assertTrue(HangUp.is(new ClosedChannelException()));
        // Netty's native transport words EPIPE and ECONNRESET this way.
        assertTrue(HangUp.is(new IOException("writevAddresses(..) failed: Broken pipe")));
        assertTrue(HangUp.is(new IOException("recvAddress(..) failed: Connection reset by peer")));
    }

    @Test
    void shouldNotHideOtherFailures() {
        assertFalse(HangUp.is(new IOException("No space left on device")));
        assertFalse(HangUp.is(new IOException()));
        assertFalse(HangUp.is(new IllegalStateException("Broken pipe")));
    }
}
