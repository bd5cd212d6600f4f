package io.mtemigrate.cli;

import java.util.Locale;

/** What a command says while it works: to stderr, never with --quiet. */
final class Console {
    private final OutputOptions output;

    Console(OutputOptions output) {
        this.output = output;
    }

    void say(String format, Object... args) {
        if (!output.quiet) {
            System.err.println("mte-migrate: " + String.format(Locale.ROOT, format, args));
        }
    }

    ProgressPrinter progress() {
        return output.showProgress() ? new ProgressPrinter(System.err, System.console() != null) : null;
    }
}
