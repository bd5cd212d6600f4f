package io.mtemigrate.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** Runs the command line in this JVM, as {@code main} would but without exiting, with stdout and stderr captured. */
final class Cli {
    private Cli() {
    }

    /** What a run printed and its exit status. */
    record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        /** The first line on stderr, or "" when there is none. */
        String firstErrLine() {
            return errLines().isEmpty() ? "" : errLines().getFirst();
        }

        /** The line on stderr that says why the run failed: the last one starting with "mte-migrate: ". */
        String errorLine() {
            return errLines().reversed().stream().filter(line -> line.startsWith("mte-migrate: ")).findFirst().orElse("");
        }

        void assertNoStackTrace() {
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "a stack trace or exception name on stderr:\n" + err);
        }

        @Override
        public String toString() {
            return "exit status " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    /** System.out and System.err are global: one run at a time. */
    static synchronized Run run(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream capturedOut = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream capturedErr = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(capturedOut);
            System.setErr(capturedErr);
            int status = MteMigrate.run(args);
            capturedOut.flush();
            capturedErr.flush();
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }
}
