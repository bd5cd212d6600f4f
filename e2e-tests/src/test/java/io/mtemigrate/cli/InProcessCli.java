package io.mtemigrate.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Lets the whole-system tests run the command line in their own JVM: {@link MteMigrate#run} is package-private. */
public final class InProcessCli {
    /** An exit status and what was printed on stderr. */
    public record Result(int status, String err) {
    }

    private InProcessCli() {
    }

    /** Runs {@code mte-migrate args...} without exiting and returns its exit status. */
    public static int run(String... args) {
        return MteMigrate.run(args);
    }

    /** Runs {@code mte-migrate args...} with stderr captured. */
    public static synchronized Result runCapturing(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int status = MteMigrate.run(args);
            return new Result(status, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }
}
