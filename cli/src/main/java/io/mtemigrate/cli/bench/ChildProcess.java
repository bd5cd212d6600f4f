package io.mtemigrate.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A process the bench starts and must not leave behind: its stdout goes to a file, its stderr is copied to another
 * line by line so that a caller can wait for a line, and closing it kills it with everything it started.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final CompletableFuture<String> awaited = new CompletableFuture<>();
    private volatile Predicate<String> awaiting = line -> false;
    private Thread copier;

    private ChildProcess(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code command}; its output goes to {@code NAME.out} and {@code NAME.err} in {@code directory}. */
    static ChildProcess start(String name, List<String> command, Path directory) throws IOException {
        Path out = directory.resolve(name + ".out");
        Path err = directory.resolve(name + ".err");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ChildProcess child = new ChildProcess(name, process, out, err);
        child.copier = Thread.ofVirtual().name(name + "-stderr").start(child::copyStderr);
        return child;
    }

    private void copyStderr() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
             var log = Files.newBufferedWriter(stderr)) {
            for (String line; (line = lines.readLine()) != null; ) {
                log.write(line);
                log.newLine();
                log.flush();
                if (awaiting.test(line)) {
                    awaited.complete(line);
                }
            }
        } catch (IOException e) {
            awaited.completeExceptionally(new UncheckedIOException(e));
        }
        awaited.completeExceptionally(new IllegalStateException("stderr ended"));
    }

    /**
     * Waits until the process writes a line on stderr that {@code wanted} accepts.
     *
     * @throws BenchFailure when it exits first or says nothing of the kind within {@code timeout}
     */
    String awaitStderrLine(Predicate<String> wanted, String what, Duration timeout) throws InterruptedException {
        awaiting = wanted;
        try {
            // A line read before the predicate was set is in the log already.
            for (String line : Files.readAllLines(stderr)) {
                if (wanted.test(line)) {
                    return line;
                }
            }
        } catch (IOException e) {
            // Not written yet: the reader thread creates it; the future below catches every later line.
        }
        try {
            return awaited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BenchFailure("the " + name + " did not say " + what + " within " + timeout.toSeconds() + " s"
                    + lastWords());
        } catch (ExecutionException e) {
            process.waitFor(2, TimeUnit.SECONDS);
            throw new BenchFailure("the " + name + (process.isAlive() ? " closed its stderr" : " exited with "
                    + process.exitValue()) + " before it said " + what + lastWords());
        }
    }

    /**
     * Waits for the process to exit.
     *
     * @return its exit status
     * @throws BenchFailure when it is still running after {@code timeout}
     */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new BenchFailure("the " + name + " did not finish within " + timeout.toSeconds() + " s" + lastWords());
        }
        // Its last words may still be on their way to the log: they are what says why it failed.
        copier.join(Duration.ofSeconds(5));
        return process.exitValue();
    }

    /** Gives the process up to {@code timeout} to exit; true when it did. */
    boolean exitsWithin(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    Path stdout() {
        return stdout;
    }

    /** ": " and the last line of its stderr, or "" when it wrote none: what usually says why it failed. */
    String lastWords() {
        try {
            List<String> lines = Files.exists(stderr) ? Files.readAllLines(stderr) : List.of();
            return lines.isEmpty() ? "" : ": " + lines.getLast();
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills the process and what it started, unless it is gone already, and waits until it is. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        process.waitFor(10, TimeUnit.SECONDS);
        // Its stderr ends with it (or with what it started): then the log is complete and closed.
        copier.join(Duration.ofSeconds(10));
    }
}
