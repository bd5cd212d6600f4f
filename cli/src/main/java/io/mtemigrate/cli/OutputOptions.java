package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Where results go (every command). */
final class OutputOptions {
    @Option(names = "--json", paramLabel = "FILE", description = "Write the run report as JSON to FILE.")
    Path json;

    @Option(names = "--quiet", description = "No progress and no summary; errors still go to stderr.")
    boolean quiet;

    @Option(names = "--progress", description = "Show progress even when stderr is not a terminal.")
    boolean progress;

    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean debug;

    /** Refuses, as a usage error, a --json file that cannot be written: before the command starts anything. */
    void requireWritable(CommandLine commandLine) {
        requireWritable(commandLine, "--json", json);
    }

    /** The same for another output file of a command; nothing to check when {@code file} is null. */
    static void requireWritable(CommandLine commandLine, String option, Path file) {
        if (file == null) {
            return;
        }
        String problem = ResultFiles.whyNotWritable(file);
        if (problem != null) {
            throw new CommandLine.ParameterException(commandLine, option + " " + file + " cannot be written: " + problem);
        }
    }

    boolean showProgress() {
        return !quiet && (progress || System.console() != null);
    }

    /** The summary on stdout (unless --quiet), the JSON report, and for a run that failed one line on stderr. */
    void write(MigrationReport report) {
        if (!quiet) {
            Summary.print(report, System.out);
        }
        String status = report.getStatus();
        if (!status.equals(ReportJson.STATUS_COMPLETED)) {
            String error = report.getError().isEmpty() ? "no reason given" : report.getError();
            System.err.println("mte-migrate: " + (error.startsWith(status) ? error : status + ": " + error));
        }
        if (json != null) {
            try {
                ResultFiles.write(json, ReportJson.print(report) + System.lineSeparator());
            } catch (IOException e) {
                throw new CliException("cannot write the report to " + json + ": " + e.getMessage(), e);
            }
        }
    }
}
