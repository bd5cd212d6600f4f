package io.mtemigrate.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultFilesTest {
    @TempDir
    Path dir;

    @Test
    void shouldReplaceAnOldReportWholeAndLeaveNoTemporaryFileBehind() throws IOException {
        Path report = dir.resolve("r.json");
        Files.writeString(report, "{\"status\": \"old\"}");

        ResultFiles.write(report, "{\"status\": \"completed\"}\n");

        assertEquals("{\"status\": \"completed\"}\n", Files.readString(report));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(report), files.toList());
        }
    }

    @Test
    void shouldGiveTheReportTheSamePermissionsAsAnyNewFile() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain.json"), "{}");
        Path report = dir.resolve("r.json");

        ResultFiles.write(report, "{}");

        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(report));
    }

    @Test
    void shouldWriteThroughASymbolicLinkAndKeepTheLink() throws IOException {
        Path real = Files.writeString(dir.resolve("real.json"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), real.getFileName());

        ResultFiles.write(link, "new");

        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
    }

    @Test
    void shouldCreateTheFileADanglingLinkPointsTo() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), Path.of("later.json"));

        ResultFiles.write(link, "new");

        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(dir.resolve("later.json")));
    }

    @Test
    void shouldNameTheMissingDirectoryAndCreateNothing() {
        Path report = dir.resolve("missing").resolve("r.json");

        IOException e = assertThrows(IOException.class, () -> ResultFiles.write(report, "{}"));

        assertEquals(dir.resolve("missing") + " is not a directory", e.getMessage());
        assertEquals(false, Files.exists(dir.resolve("missing")));
    }

    @Test
    void shouldFindNoProblemWithANewFileInAWritableDirectoryAndLeaveNoProbe() throws IOException {
        assertEquals(null, ResultFiles.whyNotWritable(dir.resolve("r.json")));

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void shouldFindNoProblemWithADeviceThatIsWrittenInPlace() {
        assertEquals(null, ResultFiles.whyNotWritable(Path.of("/dev/null")));
    }

    @Test
    void shouldNameAMissingDirectory() {
        assertEquals(dir.resolve("missing") + " is not a directory",
                ResultFiles.whyNotWritable(dir.resolve("missing").resolve("r.json")));
    }

    @Test
    void shouldNameADirectoryGivenAsTheFile() {
        assertEquals("it is a directory", ResultFiles.whyNotWritable(dir));
    }
}
