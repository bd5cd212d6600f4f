package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

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
        assertTrue(Files.readString(html).contains("<svg"), "the page has charts");
    }

    @Test
    void shouldRefuseAnUnknownSweep() {
        Cli.Run run = Cli.run("bench", "--quick", "--sweep", "colour");
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("--sweep"), run.err());
    }
}
