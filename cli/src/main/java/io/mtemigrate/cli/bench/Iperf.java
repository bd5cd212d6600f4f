package io.mtemigrate.cli.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code iperf3 -N} on loopback in the same run as the migrations: what a C tool gets out of this kernel's TCP at
 * this moment, next to the raw transfer. Optional: without iperf3 on the PATH the bench says so and goes on.
 */
final class Iperf {
    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final int ATTEMPTS = 3;

    private final String executable;

    /** @param executable a name looked up on the PATH, or a path */
    Iperf(String executable) {
        this.executable = executable;
    }

    /**
     * What iperf3 measured, or why it did not.
     *
     * @param mbps 10^6 bytes per second received, NaN when not measured
     * @param note why it was not measured; empty when it was
     */
    record Result(double mbps, int streams, int seconds, String note) {
        static Result skipped(String note, int streams, int seconds) {
            return new Result(Double.NaN, streams, seconds, note);
        }

        boolean measured() {
            return !Double.isNaN(mbps);
        }

        String describe() {
            String what = String.format(Locale.ROOT, "iperf3 -N -P %d -t %d on loopback", streams, seconds);
            return measured() ? String.format(Locale.ROOT, "%s: %.0f MB/s", what, mbps) : what + ": skipped, " + note;
        }
    }

    /** Runs a one-shot server ({@code -1}) and a client for {@code seconds}, both on 127.0.0.1. */
    Result run(int streams, int seconds) throws InterruptedException {
        Path program = find(executable);
        if (program == null) {
            return Result.skipped(executable + " is not installed (e.g. apt-get install iperf3)", streams, seconds);
        }
        String failure = "";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try (ScratchDirectory directory = ScratchDirectory.create("mte-migrate-iperf3-")) {
                return new Result(measure(program, streams, seconds, directory.path()), streams, seconds, "");
            } catch (BenchFailure | IOException e) {
                // Most likely the free port was taken between choosing and binding it: choose again.
                failure = e.getMessage();
            }
        }
        return Result.skipped("it failed " + ATTEMPTS + " times, last: " + failure, streams, seconds);
    }

    private static double measure(Path program, int streams, int seconds, Path directory)
            throws IOException, InterruptedException {
        String port = Integer.toString(freePort());
        try (ChildProcess server = ChildProcess.start("iperf3 server", List.of(program.toString(), "-s", "-1",
                "-B", "127.0.0.1", "-p", port, "--forceflush"), directory)) {
            // iperf3 says it listens on stdout (flushed at once with --forceflush), which goes to a file.
            awaitListening(server);
            try (ChildProcess client = ChildProcess.start("iperf3 client", List.of(program.toString(), "-c", "127.0.0.1",
                    "-p", port, "-N", "-P", Integer.toString(streams), "-t", Integer.toString(seconds), "-J",
                    "--connect-timeout", "5000"), directory)) {
                int status = client.awaitExit(Duration.ofSeconds(seconds + 20L));
                String json = Files.readString(client.stdout());
                if (status != 0) {
                    throw new BenchFailure("iperf3 -c exited with " + status + client.lastWords() + error(json));
                }
                return parse(json);
            } finally {
                // A one-shot server exits after its test; one that does not is killed when closed, and the
                // client's outcome, not the server's, is what this run reports.
                server.exitsWithin(Duration.ofSeconds(5));
            }
        }
    }

    private static void awaitListening(ChildProcess server) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.readString(server.stdout()).contains("listening")) {
            if (System.nanoTime() > deadline) {
                throw new BenchFailure("the iperf3 server did not listen within " + START_TIMEOUT.toSeconds() + " s"
                        + server.lastWords());
            }
            if (!server.isAlive()) {
                throw new BenchFailure("the iperf3 server exited before listening: "
                        + Files.readString(server.stdout()).strip() + server.lastWords());
            }
            Thread.sleep(20);
        }
    }

    /** 10^6 bytes per second the receiving side counted, from iperf3's {@code -J} report. */
    static double parse(String json) {
        Matcher m = RECEIVED.matcher(json);
        if (!m.find()) {
            throw new BenchFailure("iperf3 gave no received rate" + error(json));
        }
        return Double.parseDouble(m.group(1)) / 8 / 1e6;
    }

    private static String error(String json) {
        Matcher m = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? ": " + m.group(1) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The program as a path, or null when there is no such executable. */
    static Path find(String name) {
        if (name.contains(File.separator)) {
            Path path = Path.of(name);
            return Files.isExecutable(path) ? path : null;
        }
        String searchPath = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
