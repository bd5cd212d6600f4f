package io.mtemigrate.cli;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

/**
 * An output file that cannot be written is a usage error found before anything starts (no guest booted, no
 * listener opened, no bench run), not after a whole migration: exit status 2, one line naming the option and the
 * path, nothing on stdout.
 */
@Timeout(20)
class OutputFileCheckTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> unwritableOutputs() {
        String guest = " --ram 16M --workload idle --steps 100";
        return Stream.of(
                bad("shouldRefuseAReportInAMissingDirectoryForDemo", "demo --json /nonexistent-dir/r.json" + guest,
                        "--json /nonexistent-dir/r.json", "/nonexistent-dir is not a directory"),
                bad("shouldRefuseAReportWhereNoFileCanBeCreatedForSource",
                        "source --connect 127.0.0.1:9 --json /proc/r.json" + guest, "--json /proc/r.json",
                        "cannot create a file in /proc"),
                bad("shouldRefuseADirectoryAsReportForTarget", "target --listen 127.0.0.1:0 --once --json " + dir,
                        "--json " + dir, "it is a directory"),
                bad("shouldRefuseAReportInAMissingDirectoryForRecord", "record --out " + dir.resolve("x.mtes")
                        + " --json /nonexistent-dir/r.json" + guest, "--json /nonexistent-dir/r.json"),
                bad("shouldRefuseARecordingInAMissingDirectory", "record --out /nonexistent-dir/x.mtes" + guest,
                        "--out /nonexistent-dir/x.mtes", "/nonexistent-dir is not a directory"),
                bad("shouldRefuseARecordingWhereNoFileCanBeCreated", "record --out /proc/x.mtes" + guest,
                        "--out /proc/x.mtes"),
                bad("shouldRefuseAnUnwritableReportForReplayBeforeReadingTheFile",
                        "replay /nonexistent-dir/x.mtes --json /proc/r.json", "--json /proc/r.json"),
                bad("shouldRefuseAnUnwritableReportForBench", "bench --quick --json /proc/r.json", "--json /proc/r.json"),
                bad("shouldRefuseAnUnwritablePageForBench", "bench --quick --html /nonexistent-dir/b.html",
                        "--html /nonexistent-dir/b.html"));
    }

    private static Arguments bad(String name, String commandLine, String... mentions) {
        return argumentSet(name, commandLine, mentions);
    }

    @ParameterizedTest
    @MethodSource("unwritableOutputs")
    void shouldRefuseAnUnwritableOutputBeforeAnythingStarts(String commandLine, String[] mentions) throws IOException {
        Cli.Run run = Cli.run(commandLine.split(" "));

        assertEquals(2, run.status(), run.toString());
        String line = run.firstErrLine();
        assertTrue(line.startsWith("mte-migrate: "), run.toString());
        for (String mention : mentions) {
            assertTrue(line.contains(mention), "the message should name " + mention + ": " + line);
        }
        assertTrue(run.errLines().size() <= 2 && run.err().contains("--help"),
                "one line, then the pointer to --help:\n" + run.err());
        assertEquals("", run.out(), "nothing on stdout: nothing ran");
        run.assertNoStackTrace();
        try (Stream<Path> left = Files.list(dir)) {
            assertFalse(left.findAny().isPresent(), "no probe or recording left behind");
        }
    }
}
