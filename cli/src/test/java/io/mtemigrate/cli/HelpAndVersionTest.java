package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelpAndVersionTest {
    /** Each command, and what its help must show (';'-separated): its own options and the defaults. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "demo|--ram=SIZE;(default: 1G);(default: 4K);(default: alloc);(default: random);(default: 1);"
                    + "(default: 2);(default: 50);(default: 10m);(default: none);(default: 30);--no-mte;--progress;"
                    + "--postcopy[=WHEN];rounds:N (after N pre-copy rounds);loses the guest;--postcopy-recovery-timeout=DURATION;"
                    + "(default: 5m)",
            "source|--connect=HOST:PORT;(default: 1G);(default: 4K);(default: alloc);(default: 10m);(default: none);"
                    + "--tls-keystore=FILE;--tls-truststore=FILE;--tls-password-file=FILE;--insecure;--stall-timeout",
            "record|--out=FILE;(default: 1G);(default: alloc);(default: 10m)",
            "replay|FILE;--to=HOST:PORT;(default: 10m)",
            "target|(default: 127.0.0.1:7777);(default: 30s);--insecure;--once;--max-ram;--run-for;"
                    + "--tls-keystore=FILE;--max-migrations=N;(default: 4);--handshake-timeout;(default: 10s);"
                    + "--recovery-timeout=DURATION;(default: 5m)",
            "certs|--out=DIR;--target-name=NAME;(default: localhost,127.0.0.1);(default: 365);trust.p12"})
    void shouldShowEveryCommandsHelpWithItsDefaults(String command, String mustShow) {
        for (String[] args : new String[][]{{command, "--help"}, {command, "-h"}, {"help", command}}) {
            Cli.Run run = Cli.run(args);

            assertEquals(0, run.status(), run.toString());
            String help = run.out().replaceAll("\\s+", " ");
            assertTrue(help.contains("Usage: mte-migrate " + command), run.toString());
            String common = (command.equals("certs") ? "" : ";--json=FILE;--quiet") + ";--help;--version";
            for (String shown : (mustShow + common).split(";")) {
                assertTrue(help.contains(shown), String.join(" ", args) + " should show " + shown + ":\n" + run.out());
            }
            assertEquals("", run.err());
        }
    }

    @Test
    void shouldListTheCommandsInTheTopLevelHelp() {
        Cli.Run run = Cli.run("--help");

        assertEquals(0, run.status(), run.toString());
        for (String command : new String[]{"demo", "source", "target", "record", "replay", "bench", "certs"}) {
            assertTrue(run.out().contains(command), run.out());
        }
        assertEquals("", run.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "demo", "source", "target", "record", "replay"})
    void shouldPrintTheVersionFromEveryCommand(String command) {
        Cli.Run run = command.isEmpty() ? Cli.run("--version") : Cli.run(command, "--version");

        assertEquals(0, run.status(), run.toString());
        assertEquals("mte-migrate 0.1.0", run.out().strip());
        assertEquals("", run.err());
    }
}
