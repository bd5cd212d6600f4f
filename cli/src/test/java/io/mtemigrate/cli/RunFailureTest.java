package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs that start and then cannot go on: one line on stderr naming the problem, exit status 1, no stack trace. */
@Timeout(30)
class RunFailureTest {
    /** A guest that boots and finishes in a blink. */
    private static final String[] TINY_GUEST = {"--ram", "16M", "--steps", "2000"};

    @TempDir
    Path dir;

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String[] args(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @Test
    void shouldReportAnUnreachableTarget() throws IOException {
        int port = closedPort();
        Path json = dir.resolve("s.json");

        Cli.Run run = Cli.run(args(new String[]{"source", "--connect", "127.0.0.1:" + port, "--json", json.toString()},
                TINY_GUEST));

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains("cannot connect to the target at 127.0.0.1:" + port), run.toString());
        run.assertNoStackTrace();
        MigrationReport report = ReportJson.parse(Files.readString(json));
        assertEquals("failed", report.getStatus());
        assertTrue(report.getError().contains("cannot connect"), report.getError());
        assertFalse(report.getFinalDigest().isEmpty(), "the guest ran on at the source to the end of its steps");
    }

    @Test
    void shouldNotWaitForAGuestWithoutStepsAfterAFailedMigration() throws IOException {
        int port = closedPort();
        Path json = dir.resolve("s.json");

        Cli.Run run = Cli.run("source", "--connect", "127.0.0.1:" + port, "--ram", "16M", "--steps", "0",
                "--json", json.toString());

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.err().contains("the guest kept running here until now: with --steps 0 it has no end to run to"),
                run.toString());
        assertEquals("failed", ReportJson.parse(Files.readString(json)).getStatus());
    }

    @Test
    void shouldStillSayWhyARunFailedWhenQuiet() throws IOException {
        int port = closedPort();

        Cli.Run run = Cli.run(args(new String[]{"source", "--connect", "127.0.0.1:" + port, "--quiet"}, TINY_GUEST));

        assertEquals(1, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), "exactly one line:\n" + run.err());
        assertTrue(run.firstErrLine().startsWith("mte-migrate: failed") && run.firstErrLine().contains("127.0.0.1:" + port),
                run.toString());
        assertEquals("", run.out());
    }

    @Test
    void shouldReportAPortInUse() throws IOException {
        try (ServerSocket holder = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = holder.getLocalPort();

            Cli.Run run = Cli.run("target", "--listen", "127.0.0.1:" + port, "--once");

            assertEquals(1, run.status(), run.toString());
            assertTrue(run.errorLine().contains("cannot listen on 127.0.0.1:" + port)
                    && run.errorLine().toLowerCase().contains("already in use"), run.toString());
            assertEquals(1, run.errLines().size(), run.err());
            run.assertNoStackTrace();
        }
    }

    @Test
    void shouldReportAMissingReplayFile() {
        Path missing = dir.resolve("missing.mtes");

        Cli.Run run = Cli.run("replay", missing.toString());

        assertEquals(1, run.status(), run.toString());
        assertEquals("mte-migrate: cannot read " + missing + ": no such file", run.firstErrLine());
        assertEquals(1, run.errLines().size(), run.err());
    }

    @Test
    void shouldRefuseAFileThatIsNoRecordingNamingTheOffset() throws IOException {
        Path junk = dir.resolve("junk.mtes");
        Files.writeString(junk, "this is a text file and certainly not a recording of a migration".repeat(4),
                StandardCharsets.US_ASCII);
        Path json = dir.resolve("r.json");

        Cli.Run run = Cli.run("replay", junk.toString(), "--json", json.toString());

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains(junk + " at byte offset 0")
                && run.errorLine().contains("not an mte-migrate stream file"), run.toString());
        run.assertNoStackTrace();
        MigrationReport report = ReportJson.parse(Files.readString(json));
        assertEquals("failed", report.getStatus());
        assertTrue(report.getError().contains("byte offset 0"), report.getError());
    }

    @Test
    void shouldRefuseATruncatedFileNamingTheOffset() throws IOException {
        Path stub = dir.resolve("stub.mtes");
        Files.write(stub, new byte[10]);

        Cli.Run run = Cli.run("replay", stub.toString(), "--quiet");

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains("at byte offset 10"), run.toString());
        assertEquals(1, run.errLines().size(), run.err());
        run.assertNoStackTrace();
    }

    @Test
    void shouldRefuseADirectoryAsReplayFile() {
        Cli.Run run = Cli.run("replay", dir.toString(), "--quiet");

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errorLine().contains(dir.toString()), run.toString());
        assertEquals(1, run.errLines().size(), run.err());
        run.assertNoStackTrace();
    }

    @Test
    void shouldPrintTheStackTraceOnlyWithDebug() {
        Cli.Run run = Cli.run("replay", "/nonexistent-dir/x.mtes", "--debug");

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.firstErrLine().startsWith("mte-migrate: cannot read /nonexistent-dir/x.mtes"), run.toString());
        assertTrue(run.err().contains("\tat io.mtemigrate.cli.ReplayCommand"), "--debug shows where it failed:\n" + run.err());
    }
}
