package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * record then replay: the recording restores into a fresh VM whose guest ends exactly where the same guest ends
 * without a migration; a damaged recording is refused with the byte offset of the damage; a failed recording
 * leaves no file.
 */
@Timeout(60)
class RecordReplayTest {
    /**
     * A guest that retags for about 2 s (250000 steps of 64 bytes at 8 MiB/s per vCPU), so it still runs when the
     * recording ends and the replayed guest has steps left to run.
     */
    private static final List<String> GUEST = List.of("--ram", "32M", "--workload", "tagonly", "--dirty-rate", "16M",
            "--steps", "250000", "--seed", "1");

    @TempDir
    static Path dir;
    private static Path recording;
    private static MigrationReport recorded;

    private static String[] args(String[] first, List<String> more) {
        return Stream.concat(Stream.of(first), more.stream()).toArray(String[]::new);
    }

    private static MigrationReport report(Path json) throws IOException {
        return ReportJson.parse(Files.readString(json));
    }

    @BeforeAll
    static void record() throws IOException {
        recording = dir.resolve("x.mtes");
        Path json = dir.resolve("record.json");

        Cli.Run run = Cli.run(args(new String[]{"record", "--out", recording.toString(), "--json", json.toString(),
                "--quiet"}, GUEST));

        assertEquals(0, run.status(), run.toString());
        assertTrue(Files.isRegularFile(recording), "the recording exists");
        recorded = report(json);
        assertEquals("completed", recorded.getStatus(), recorded.getError());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("record.json", "x.mtes"), files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "no temporary file is left beside the recording");
        }
    }

    @Test
    void shouldReplayARecordingToWhereTheUnmigratedGuestEnds() throws IOException {
        Path replayJson = dir.resolve("replay.json");
        Cli.Run replay = Cli.run("replay", recording.toString(), "--json", replayJson.toString(), "--quiet");

        assertEquals(0, replay.status(), replay.toString());
        assertEquals("", replay.err());
        MigrationReport replayed = report(replayJson);
        assertEquals("completed", replayed.getStatus(), replayed.getError());
        assertEquals(recorded.getSourceDigest(), replayed.getTargetDigest(),
                "the restored VM holds exactly what the source held when the recording stopped it");
        assertFalse(replayed.getFinalDigest().isEmpty());
        assertEquals(0, replayed.getTagCheckFaults());

        Path demoJson = dir.resolve("demo.json");
        // Only the demo's reference run matters here. The tagonly guest dirties every page within milliseconds, so
        // with the default 50 ms limit its convergence hangs on how fast this machine happens to be at that moment.
        Cli.Run demo = Cli.run(args(new String[]{"demo", "--json", demoJson.toString(), "--quiet", "--downtime-ms",
                "2000"}, GUEST));
        assertEquals(0, demo.status(), demo.toString());
        assertEquals(report(demoJson).getReferenceDigest(), replayed.getFinalDigest(),
                "the replayed guest ended where the same guest ends without a migration");
    }

    @Test
    void shouldRefuseADamagedRecordingNamingTheOffset() throws IOException {
        Path damaged = dir.resolve("damaged.mtes");
        Files.copy(recording, damaged);
        long middle = Files.size(damaged) / 2;
        try (RandomAccessFile file = new RandomAccessFile(damaged.toFile(), "rw")) {
            file.seek(middle);
            int b = file.read();
            file.seek(middle);
            file.write(b ^ 0x5A);
        }
        Path json = dir.resolve("damaged.json");

        Cli.Run run = Cli.run("replay", damaged.toString(), "--json", json.toString(), "--quiet");

        assertEquals(1, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), run.err());
        run.assertNoStackTrace();
        Matcher offset = Pattern.compile("at byte offset (\\d+)").matcher(run.firstErrLine());
        assertTrue(offset.find(), "the message names the byte offset: " + run.firstErrLine());
        long named = Long.parseLong(offset.group(1));
        // Frames checksum all but page data; damage there is found by the CRC of all frames in the trailer.
        Matcher range = Pattern.compile("page data between byte offsets (\\d+) and (\\d+) is damaged")
                .matcher(run.firstErrLine());
        assertTrue(named > 0 && named <= middle || range.find() && Long.parseLong(range.group(1)) <= middle
                && middle < Long.parseLong(range.group(2)), "the damage at " + middle + " is not where the message"
                + " says: " + run.firstErrLine());
        MigrationReport report = report(json);
        assertEquals("failed", report.getStatus());
        assertTrue(report.getError().contains("at byte offset " + named), report.getError());
        assertTrue(report.getFinalDigest().isEmpty(), "no guest ran from a damaged recording");
    }

    @Test
    void shouldLeaveNoFileWhenARecordingFails(@TempDir Path empty) throws IOException {
        Path out = empty.resolve("y.mtes");

        Cli.Run run = Cli.run("record", "--out", out.toString(), "--ram", "16M", "--steps", "2000", "--timeout", "1ms",
                "--quiet");

        assertEquals(1, run.status(), run.toString());
        assertTrue(run.firstErrLine().startsWith("mte-migrate: failed"), run.toString());
        try (Stream<Path> files = Files.list(empty)) {
            assertEquals(List.of(), files.toList(), "neither the recording nor a temporary file is left");
        }
    }
}
