package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --timeout holds in every phase of a migration, the handshake included, and a bandwidth cap that cannot carry
 * the migration within it is named as the reason, at once, instead of waiting for the cap and blaming the target.
 */
@Timeout(60)
class TimeoutTest {
    @TempDir
    Path dir;

    @Test
    void shouldNameABandwidthCapThatCannotEvenCarryTheHandshakeWithinTheTimeout() {
        long start = System.nanoTime();
        Cli.Run run = Cli.run("demo", "--ram", "64M", "--max-bandwidth", "1", "--timeout", "2s", "--quiet");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains("during handshake: the bandwidth cap of 1 bytes/s is too small to finish"
                + " within the 2 s timeout"), run.toString());
        assertFalse(run.err().contains("the target closed"), "the target is not to blame:\n" + run.err());
        assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "a 2 s timeout took " + took);
        run.assertNoStackTrace();
    }

    @Test
    void shouldNameABandwidthCapThatRunsOutOfTimeInTheFirstPass() {
        long start = System.nanoTime();
        Cli.Run run = Cli.run("demo", "--ram", "64M", "--workload", "idle", "--steps", "1000", "--max-bandwidth", "10M",
                "--timeout", "2s", "--quiet");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains("during first pass: the bandwidth cap of 10485760 bytes/s (10.0 MiB/s)"
                + " is too small to finish within the 2 s timeout"), run.toString());
        assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "a 2 s timeout took " + took);
    }

    @Test
    void shouldHoldTheTimeoutWhileATargetNeverAnswersTheTlsHandshake() throws IOException {
        assertEquals(0, Cli.run("certs", "--out", dir.toString()).status());
        try (ServerSocket silent = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            Cli.Run run = Cli.run("source", "--connect", "127.0.0.1:" + silent.getLocalPort(), "--ram", "16M",
                    "--workload", "idle", "--steps", "1000", "--timeout", "1s", "--stall-timeout", "0",
                    "--tls-keystore", dir.resolve("source.p12").toString(), "--tls-truststore",
                    dir.resolve("trust.p12").toString(), "--tls-password-file", dir.resolve("password").toString(),
                    "--quiet");
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(1, run.status(), run.toString());
            assertTrue(run.errorLine().contains("during handshake: the migration did not finish within 1 s"),
                    run.toString());
            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "a 1 s timeout took " + took);
        }
    }
}
