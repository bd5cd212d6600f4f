package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnitsTest {
    @ParameterizedTest
    @CsvSource({"4096, 4096", "0, 0", "64K, 65536", "64k, 65536", "512M, 536870912", "1G, 1073741824",
            "' 2M ', 2097152", "3G, 3221225472"})
    void shouldParseSizesInPowersOf1024(String text, long bytes) {
        assertEquals(bytes, Units.size(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"12X", "", "K", "1.5G", "1 G", "G1", "lots", "99999999999G", "9223372036854775808"})
    void shouldRefuseWhatIsNotASize(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.size(text));
        assertTrue(e.getMessage().contains("'" + text + "'") && e.getMessage().contains("K, M or G"), e.getMessage());
    }

    @Test
    void shouldRefuseANegativeSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.size("-1M"));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"max, 0", "MAX, 0", "' max ', 0", "64M, 67108864", "100K, 102400", "1000, 1000"})
    void shouldParseRatesWithMaxAsFlatOut(String text, long bytesPerSecond) {
        assertEquals(bytesPerSecond, Units.rate(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "12X", "maximum", "-5M", ""})
    void shouldRefuseWhatIsNotARateAndSayMaxIsAllowed(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.rate(text));
        assertTrue(e.getMessage().contains("'" + text + "'") && e.getMessage().contains("max"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "30s, PT30S", "2m, PT2M", "1h, PT1H", "45, PT45S", "0s, PT0S", "' 10S ', PT10S"})
    void shouldParseDurations(String text, Duration duration) {
        assertEquals(duration, Units.duration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "1.5s", "ms", "s", "", "2 min", "99999999999999999h"})
    void shouldRefuseWhatIsNotADuration(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.duration(text));
        assertTrue(e.getMessage().contains("'" + text + "'") && e.getMessage().contains("30s"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-5s", "-1", "-100ms"})
    void shouldRefuseANegativeDuration(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.duration(text));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1.0 KiB", "16777216, 16.0 MiB", "1073741824, 1.00 GiB"})
    void shouldPrintBytesForPeople(long bytes, String text) {
        assertEquals(text, Units.bytes(bytes));
    }
}
