package io.mtemigrate.cli;

import io.mtemigrate.vmsim.InsufficientMemory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

@Command(name = "mte-migrate", mixinStandardHelpOptions = true, version = "mte-migrate 0.1.0",
        description = "Live-migrates emulated Arm MTE virtual machines, pages and tags together.",
        subcommands = {DemoCommand.class, SourceCommand.class, TargetCommand.class, RecordCommand.class,
                ReplayCommand.class, BenchCommand.class, CertsCommand.class, HostCommand.class, VmCommand.class,
                CommandLine.HelpCommand.class})
public final class MteMigrate implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: demo, source, target, record, replay, bench, certs, host or vm");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status: 0 success, 1 failure, 2 usage error. */
    static int run(String... args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine commandLine = new CommandLine(new MteMigrate());
        // Every command has --version (mixinStandardHelpOptions); without this it would print an empty line.
        String[] version = commandLine.getCommandSpec().version();
        commandLine.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(version));
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("mte-migrate: " + e.getMessage());
            err.println("Try 'mte-migrate " + (e.getCommandLine().getCommandName().equals("mte-migrate") ? ""
                    : e.getCommandLine().getCommandName() + " ") + "--help' for the options.");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            PrintWriter err = cl.getErr();
            boolean expected = e instanceof CliException || e instanceof InsufficientMemory;
            err.println("mte-migrate: " + (expected ? e.getMessage() : e.toString()));
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return commandLine.execute(args);
    }
}
