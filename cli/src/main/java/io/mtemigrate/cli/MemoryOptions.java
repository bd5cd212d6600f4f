package io.mtemigrate.cli;

import io.mtemigrate.vmsim.HostMemory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where guest memory lives on this host (demo, target). */
final class MemoryOptions {
    @Option(names = "--memory-dir", paramLabel = "DIR",
            description = "Directory for guest memory files, best a tmpfs (default: /dev/shm). A VM or --prealloc"
                    + " that needs more than this host can commit there (the smaller of MemAvailable and the"
                    + " directory's free space, RAM plus 1/16 for MTE tags) is refused before any memory is"
                    + " committed; if the directory fills up later, the migration that needed the memory fails.")
    Path memoryDir;

    Path directory(CommandLine commandLine) {
        if (memoryDir == null) {
            return HostMemory.defaultDirectory();
        }
        if (!Files.isDirectory(memoryDir) || !Files.isWritable(memoryDir)) {
            throw new CommandLine.ParameterException(commandLine, "--memory-dir " + memoryDir + " is not a writable"
                    + " directory");
        }
        // Absolute, so that messages about it say which directory even when read in another shell.
        return memoryDir.toAbsolutePath().normalize();
    }
}
