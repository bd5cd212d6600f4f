package io.mtemigrate.cli.bench;

import io.mtemigrate.cli.MteMigrate;

import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line that starts this CLI again in a new process: the same JVM, its memory options, this code. */
@FunctionalInterface
interface CliLauncher {
    /** The whole command, program first, that runs {@code mte-migrate ARGS}. */
    List<String> command(List<String> args);

    /**
     * The JVM of this process ({@code java.home}), its {@code -X} options (heap, GC and direct memory as the
     * mte-migrate script sets them; not agents or system properties a test runner added), and the jar this class
     * was loaded from, or this process's class path when it was not loaded from a jar (tests).
     */
    static CliLauncher current() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String program = Files.isExecutable(java) ? java.toString()
                : ProcessHandle.current().info().command().orElseThrow(() -> new BenchFailure(
                        "cannot find the java executable of this process (java.home is " + System.getProperty("java.home") + ")"));
        List<String> prefix = new ArrayList<>();
        prefix.add(program);
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(option -> option.startsWith("-X")).forEach(prefix::add);
        Path jar = ownJar();
        if (jar != null) {
            prefix.addAll(List.of("-jar", jar.toString()));
        } else {
            prefix.addAll(List.of("-cp", System.getProperty("java.class.path"), MteMigrate.class.getName()));
        }
        return args -> {
            List<String> command = new ArrayList<>(prefix);
            command.addAll(args);
            return command;
        };
    }

    private static Path ownJar() {
        try {
            var source = MteMigrate.class.getProtectionDomain().getCodeSource();
            Path location = source == null ? null : Path.of(source.getLocation().toURI());
            return location != null && Files.isRegularFile(location) && location.toString().endsWith(".jar") ? location : null;
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
