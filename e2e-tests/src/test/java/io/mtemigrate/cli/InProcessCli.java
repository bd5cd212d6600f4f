package io.mtemigrate.cli;

/** Lets the whole-system tests run the command line in their own JVM: {@link MteMigrate#run} is package-private. */
public final class InProcessCli {
    private InProcessCli() {
    }

    /** Runs {@code mte-migrate args...} without exiting and returns its exit status. */
    public static int run(String... args) {
        return MteMigrate.run(args);
    }
}
