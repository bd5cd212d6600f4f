package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostPortTest {
    @ParameterizedTest
    @CsvSource({"127.0.0.1:7777, 127.0.0.1, 7777", "localhost:1, localhost, 1", "example.org:65535, example.org, 65535",
            "[::1]:7777, ::1, 7777", "::1:7777, ::1, 7777"})
    void shouldParseHostAndPort(String text, String host, int port) {
        assertEquals(new HostPort(host, port), HostPort.parse(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"nohost|is not HOST:PORT", ":7777|is not HOST:PORT", "host:|is not HOST:PORT",
            "host:abc|no port number", "host:70000|out of range (1..65535)", "host:0|out of range (1..65535)",
            "host:-1|out of range (1..65535)"})
    void shouldRefuseWhatIsNotAnAddressToConnectTo(String text, String problem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text));
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void shouldAcceptPortZeroOnlyToListenOn() {
        assertEquals(new HostPort("127.0.0.1", 0), HostPort.parseListen("127.0.0.1:0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parseListen("127.0.0.1:65536"));
        assertTrue(e.getMessage().contains("0..65535"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "0:0:0:0:0:0:0:1"})
    void shouldTakeLoopbackForLoopback(String host) {
        assertTrue(new HostPort(host, 7777).isLoopback());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.0.0.1", "192.168.1.127", "::", "127.example.com", "127.0.0.1.nip.io",
            "127.0.0.256", "localhost.example.com"})
    void shouldNotTakeOtherAddressesOrLookalikeNamesForLoopback(String host) {
        assertFalse(new HostPort(host, 7777).isLoopback());
    }

    @Test
    void shouldPrintAsTyped() {
        assertEquals("127.0.0.1:7777", HostPort.parse("127.0.0.1:7777").toString());
        assertEquals(7777, HostPort.parse("127.0.0.1:7777").address().getPort());
    }
}
