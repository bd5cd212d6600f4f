package io.mtemigrate.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
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

    /**
     * Why {@link #write} would fail for {@code file}, or null when it should succeed: checked before a run starts,
     * so that a report nobody can write is refused before minutes of migration instead of after them. It creates
     * and deletes a probe file where the real one will go, which also finds read-only file systems and
     * directories that only root's permission bits seem to open.
     */
    static String whyNotWritable(Path file) {
        Path path = file.toAbsolutePath();
        if (Files.isDirectory(path)) {
            return "it is a directory";
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            // A pipe or a device is written in place; opening a pipe here would block until someone reads it.
            return Files.isWritable(path) ? null : "permission denied";
        }
        Path target;
        try {
            target = Files.isSymbolicLink(path) ? linkTarget(path) : path;
        } catch (IOException e) {
            return "cannot follow the link: " + e.getMessage();
        }
        Path directory = target.getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            return (directory == null ? target : directory) + " is not a directory";
        }
        Path probe = directory.resolve("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".probe");
        try {
            Files.newByteChannel(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            Files.delete(probe);
            return null;
        } catch (IOException e) {
            return "cannot create a file in " + directory + ": " + reason(e);
        }
    }

    /** The operating system's words (e.g. "Read-only file system"), not the exception's class. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException fs) {
            // The JDK keeps the errno's text only for some errors and says the others with the exception's type.
            return fs.getReason() != null ? fs.getReason() : e instanceof AccessDeniedException ? "Permission denied"
                    : e instanceof NoSuchFileException ? "No such file or directory"
                    : e instanceof FileAlreadyExistsException ? "File exists" : e.getClass().getSimpleName();
        }
        return String.valueOf(e.getMessage());
    }

    /** Where a link points, also when that file does not exist yet. */
    private static Path linkTarget(Path link) throws IOException {
        return Files.exists(link) ? link.toRealPath()
                : link.resolveSibling(Files.readSymbolicLink(link)).normalize();
    }
}
