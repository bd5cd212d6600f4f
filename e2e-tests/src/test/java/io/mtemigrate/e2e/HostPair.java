package io.mtemigrate.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Two "hosts" on one machine: a source and a target network namespace joined by a veth pair with documentation
 * addresses (192.0.2.0/24), whose link can be shaped with tc and cut with ip. Both ends live in namespaces of
 * their own because traffic between the root namespace and a new one may be filtered on these machines. Closing
 * deletes both namespaces (which takes the veth pair and every process's sockets with them); namespaces left by
 * a test JVM that was killed are deleted by the next one.
 */
final class HostPair implements AutoCloseable {
    static final String SOURCE_ADDRESS = "192.0.2.1";
    static final String TARGET_ADDRESS = "192.0.2.2";
    private static final String PREFIX = "mtm";

    final String sourceNs;
    final String targetNs;
    private final String sourceLink;
    private final String targetLink;
    /** Also read by the shutdown hook's thread. */
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Thread cleanup = new Thread(() -> {
        stopProcesses();
        deleteNamespaces();
    }, "netns-cleanup");

    private HostPair(long id) {
        sourceNs = PREFIX + id + "s";
        targetNs = PREFIX + id + "t";
        sourceLink = PREFIX + id + "s";
        targetLink = PREFIX + id + "t";
    }

    /** Why namespaces cannot be made here, or empty when they can. */
    static Optional<String> unavailableReason() {
        try {
            if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
                return Optional.of("network namespaces need root (run as root, as CI does)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot tell whether this runs as root: " + e.getMessage());
        }
        for (String tool : List.of("ip", "tc")) {
            if (run(List.of("sh", "-c", "command -v " + tool)).status != 0) {
                return Optional.of("'" + tool + "' (iproute2) is not installed; .ci/run installs it");
            }
        }
        // Root in a container without CAP_SYS_ADMIN still cannot make namespaces: try.
        String probe = PREFIX + ProcessHandle.current().pid() + "p";
        Result made = run(List.of("ip", "netns", "add", probe));
        run(List.of("ip", "netns", "del", probe));
        if (made.status != 0) {
            return Optional.of("cannot create a network namespace here: " + made.output.strip());
        }
        return Optional.empty();
    }

    static HostPair create() {
        removeLeftovers();
        HostPair pair = new HostPair(ProcessHandle.current().pid());
        Runtime.getRuntime().addShutdownHook(pair.cleanup);
        try {
            pair.ip("netns", "add", pair.sourceNs);
            pair.ip("netns", "add", pair.targetNs);
            pair.ip("link", "add", pair.sourceLink, "netns", pair.sourceNs, "type", "veth", "peer", "name",
                    pair.targetLink, "netns", pair.targetNs);
            pair.ip("-n", pair.sourceNs, "addr", "add", SOURCE_ADDRESS + "/24", "dev", pair.sourceLink);
            pair.ip("-n", pair.targetNs, "addr", "add", TARGET_ADDRESS + "/24", "dev", pair.targetLink);
            for (String[] end : new String[][]{{pair.sourceNs, pair.sourceLink}, {pair.targetNs, pair.targetLink}}) {
                pair.ip("-n", end[0], "link", "set", "lo", "up");
                pair.ip("-n", end[0], "link", "set", end[1], "up");
            }
            return pair;
        } catch (RuntimeException e) {
            pair.close();
            throw e;
        }
    }

    /** Limits both directions to {@code bitsPerSecond} with a token bucket, as a link of that speed would. */
    void shape(long bitsPerSecond) {
        // The bucket must hold at least a timer tick's worth of bytes, or the rate is not reached.
        long burst = Math.max(64 << 10, bitsPerSecond / 8 / 250);
        for (String[] end : new String[][]{{sourceNs, sourceLink}, {targetNs, targetLink}}) {
            tc("-n", end[0], "qdisc", "replace", "dev", end[1], "root", "tbf", "rate", bitsPerSecond + "bit",
                    "burst", String.valueOf(burst), "latency", "100ms");
        }
    }

    /** Why delay and loss cannot be added (the kernel has no netem), or empty when they can. */
    Optional<String> netemUnavailableReason() {
        Result probe = run(List.of("tc", "-n", sourceNs, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"));
        if (probe.status != 0) {
            return Optional.of("this kernel has no netem qdisc (tc said: " + probe.output.strip() + ")");
        }
        tc("-n", sourceNs, "qdisc", "del", "dev", "lo", "root");
        return Optional.empty();
    }

    /** Adds netem delay and loss under the rate limit, on the source's side of the link. */
    void impair(long bitsPerSecond, int delayMs, double lossPercent) {
        shape(bitsPerSecond);
        tc("-n", sourceNs, "qdisc", "replace", "dev", sourceLink, "root", "handle", "1:", "netem", "delay",
                delayMs + "ms", "loss", lossPercent + "%", "rate", bitsPerSecond + "bit");
    }

    void linkDown() {
        ip("-n", sourceNs, "link", "set", sourceLink, "down");
    }

    void linkUp() {
        ip("-n", sourceNs, "link", "set", sourceLink, "up");
    }

    /** Bytes the source host has sent on the link. */
    long sourceTxBytes() {
        Result result = run(List.of("ip", "netns", "exec", sourceNs, "cat",
                "/sys/class/net/" + sourceLink + "/statistics/tx_bytes"));
        return Long.parseLong(result.output.strip());
    }

    /** Starts {@code command} inside namespace {@code ns}; stdout and stderr go to {@code name}.out/.err in {@code dir}. */
    Process start(String ns, Path dir, String name, List<String> command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(command);
        Process process = new ProcessBuilder(full).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .start();
        processes.add(process);
        return process;
    }

    /** Kills every process started in the namespaces, so the next scenario finds its ports free. */
    void stopProcesses() {
        Processes.killAll(processes);
        processes.clear();
    }

    @Override
    public void close() {
        stopProcesses();
        deleteNamespaces();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs anyway, and deleting twice is harmless.
        }
    }

    private void deleteNamespaces() {
        run(List.of("ip", "netns", "del", sourceNs));
        run(List.of("ip", "netns", "del", targetNs));
    }

    /**
     * Namespaces of earlier test JVMs that no longer run (killed before they could clean up), with whatever they
     * left running inside. One named after this JVM's pid is a leftover too: pids are reused.
     */
    private static void removeLeftovers() {
        long self = ProcessHandle.current().pid();
        for (String line : run(List.of("ip", "netns", "list")).output.split("\n")) {
            String name = line.split(" ")[0];
            if (name.matches(PREFIX + "[0-9]+[stp]")) {
                long pid = Long.parseLong(name.substring(PREFIX.length(), name.length() - 1));
                if (pid == self || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                    for (String inside : run(List.of("ip", "netns", "pids", name)).output.split("\s+")) {
                        if (inside.matches("[0-9]+")) {
                            ProcessHandle.of(Long.parseLong(inside)).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                    run(List.of("ip", "netns", "del", name));
                }
            }
        }
    }

    private void ip(String... args) {
        check("ip", args);
    }

    private void tc(String... args) {
        check("tc", args);
    }

    private static void check(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of(tool));
        command.addAll(List.of(args));
        Result result = run(command);
        if (result.status != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output.strip());
        }
    }

    private record Result(int status, String output) {
    }

    private static Result run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.waitFor(), output);
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
