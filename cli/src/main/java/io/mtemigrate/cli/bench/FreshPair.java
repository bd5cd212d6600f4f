package io.mtemigrate.cli.bench;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One migration between two new processes of this CLI, as a user's first run does it: {@code target --once
 * --prealloc RAM} and {@code source --workload idle --fill random}. Next to the warm in-process cases it shows the
 * share of JIT warm-up and process start. Both processes are killed if anything goes wrong, and their logs and
 * report are removed afterwards.
 */
final class FreshPair {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private final CliLauncher launcher;
    private final Duration startTimeout;
    private final Duration runTimeout;

    FreshPair(CliLauncher launcher, Duration startTimeout, Duration runTimeout) {
        this.launcher = launcher;
        this.startTimeout = startTimeout;
        this.runTimeout = runTimeout;
    }

    /** Time for one JVM start plus committing {@code ram}, and for a migration of it at a pessimistic 20 MB/s. */
    static FreshPair forRam(long ram) {
        return new FreshPair(CliLauncher.current(), Duration.ofSeconds(60 + ram / 100_000_000),
                Duration.ofSeconds(60 + ram / 20_000_000));
    }

    /**
     * The source's report, or what went wrong.
     *
     * @param wallMs from starting the source process to its exit: JVM start, boot and fill of the guest, migration
     */
    record Result(MigrationReport report, long wallMs, String error) {
        static Result failed(String error) {
            return new Result(null, 0, error);
        }

        boolean completed() {
            return report != null && report.getStatus().equals(ReportJson.STATUS_COMPLETED)
                    && report.getSourceDigest().equals(report.getTargetDigest());
        }

        double wireMBps() {
            return report == null ? Double.NaN : report.getThroughputMbps();
        }
    }

    Result run(long ram, int channels) throws InterruptedException {
        try (ScratchDirectory directory = ScratchDirectory.create("mte-migrate-fresh-pair-")) {
            return migrate(ram, channels, directory.path());
        } catch (BenchFailure e) {
            return Result.failed(e.getMessage());
        } catch (IOException e) {
            return Result.failed("cannot run the fresh processes: " + e.getMessage());
        }
    }

    private Result migrate(long ram, int channels, Path directory) throws IOException, InterruptedException {
        // Port 0 and the port the target names: no window in which another program can take it.
        try (ChildProcess target = ChildProcess.start("fresh target", launcher.command(List.of("target",
                "--listen", "127.0.0.1:0", "--once", "--prealloc", Long.toString(ram), "--run-for", "0s")), directory)) {
            String line = target.awaitStderrLine(l -> LISTENING.matcher(l).find(), "where it listens", startTimeout);
            Matcher port = LISTENING.matcher(line);
            port.find();
            Path report = directory.resolve("source.json");
            long start = System.nanoTime();
            try (ChildProcess source = ChildProcess.start("fresh source", launcher.command(List.of("source",
                    "--connect", "127.0.0.1:" + port.group(1), "--ram", Long.toString(ram), "--workload", "idle",
                    "--fill", "random", "--channels", Integer.toString(channels), "--json", report.toString())),
                    directory)) {
                int status = source.awaitExit(runTimeout);
                long wallMs = (System.nanoTime() - start) / 1_000_000;
                if (!Files.exists(report)) {
                    throw new BenchFailure("the fresh source exited with " + status + " and wrote no report"
                            + source.lastWords());
                }
                MigrationReport parsed = ReportJson.parse(Files.readString(report));
                int targetStatus = target.awaitExit(startTimeout);
                if (status == 0 && targetStatus != 0) {
                    throw new BenchFailure("the fresh target exited with " + targetStatus + target.lastWords());
                }
                return new Result(parsed, wallMs, parsed.getStatus().equals(ReportJson.STATUS_COMPLETED) ? ""
                        : parsed.getError());
            }
        }
    }
}
