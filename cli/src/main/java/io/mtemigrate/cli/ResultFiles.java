package io.mtemigrate.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a result file so that whoever waits for it (a script, a test, a second terminal) sees either the old
 * file or the whole new one, never a half-written report: the text goes to a new file beside it first, which is
 * then renamed over it. A symbolic link keeps pointing where it did, and what is not a regular file (a pipe,
 * {@code /dev/stdout}) is written in place.
 */
final class ResultFiles {
    private ResultFiles() {
    }

    static void write(Path file, String text) throws IOException {
        Path path = file.toAbsolutePath();
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            Files.writeString(path, text, StandardCharsets.UTF_8);
            return;
        }
        Path target = Files.isSymbolicLink(path) ? linkTarget(path) : path;
        Path directory = target.getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a directory");
        }
        // A fresh name created exclusively: never someone else's file or link, and the umask's permissions.
        Path temporary = directory.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Where a link points, also when that file does not exist yet. */
    private static Path linkTarget(Path link) throws IOException {
        return Files.exists(link) ? link.toRealPath()
                : link.resolveSibling(Files.readSymbolicLink(link)).normalize();
    }
}
