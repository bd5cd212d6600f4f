package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bench --quick` as CI runs it: every case completes and verifies, and the outputs are written. No timing asserted. */
class BenchSmokeTest {
    @Test
    void shouldRunTheQuickBenchAndWriteItsTableJsonAndChart(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Path html = dir.resolve("bench.html");
        Cli.Run run = Cli.run("bench", "--quick", "--json", json.toString(), "--html", html.toString());
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("raw MB/s") && run.out().contains("idle random"), run.out());
        String results = Files.readString(json);
        assertTrue(results.contains("\"ratioToRaw\"") && results.contains("\"sourceDigest\""), results);
        // A quick run's transfers can be shorter than the process clock's resolution: then the figure is null.
        Matcher cpu = Pattern.compile("\"(raw)?[cC]puSecondsPerGB\": (null|[0-9.]+)").matcher(results);
        int reported = 0;
        while (cpu.find()) {
            assertTrue(cpu.group(2).equals("null") || Double.parseDouble(cpu.group(2)) > 0, cpu.group());
            reported++;
        }
        assertEquals(2 * countOf(results, "\"medianTotalTimeMs\""), reported, "each case reports its CPU and the raw transfer's");
        assertTrue(Files.readString(html).contains("<svg"), "the page has charts");
        assertTrue(run.out().contains("idle random, fresh pair"), run.out());
        assertTrue(results.contains("\"freshPair\": {\"name\": \"idle random, fresh pair\", \"completed\": true"), results);
        assertTrue(results.contains("\"iperf3\": {\"mbps\": "), results);
        assertTrue(run.out().contains("iperf3 -N"), run.out());
    }

    private static int countOf(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    @Test
    void shouldRefuseAnUnknownSweep() {
        Cli.Run run = Cli.run("bench", "--quick", "--sweep", "colour");
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("--sweep"), run.err());
    }
}
