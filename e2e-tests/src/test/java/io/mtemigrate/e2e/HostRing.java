package io.mtemigrate.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Three "hosts", each a network namespace, joined in a triangle of veth links shaped with tc (each pair a /30 of
 * 198.51.100.0/24, so no routing is needed), plus one management link from the root namespace to each
 * (203.0.113.0/24), on which a host's control API listens with mutual TLS for the test's clients. Closing deletes
 * the namespaces with every link and process socket; leftovers of a killed test JVM go the next time.
 */
final class HostRing implements AutoCloseable {
    static final int HOSTS = 3;
    private static final String PREFIX = "mtr";

    private final long id;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Thread cleanup = new Thread(this::deleteAll, "netns-ring-cleanup");

    private HostRing(long id) {
        this.id = id;
    }

    /** Where host {@code from} reaches host {@code to} on their shared link. */
    static String ringAddress(int from, int to) {
        int link = linkIndex(from, to);
        // Link i joins host i (.4i+1) and host i+1 (.4i+2).
        return "198.51.100." + (4 * link + (to == link ? 1 : 2));
    }

    private static int linkIndex(int a, int b) {
        if ((a + 1) % HOSTS == b) {
            return a;
        }
        if ((b + 1) % HOSTS == a) {
            return b;
        }
        throw new IllegalArgumentException(a + " and " + b + " share no link");
    }

    /** The management address of host {@code i}, seen from the root namespace. */
    static String apiAddress(int i) {
        return "203.0.113." + (4 * i + 2);
    }

    /** Every address a host may be dialled by, for its certificate. */
    static List<String> allAddresses() {
        List<String> all = new ArrayList<>();
        for (int link = 0; link < HOSTS; link++) {
            all.add("198.51.100." + (4 * link + 1));
            all.add("198.51.100." + (4 * link + 2));
        }
        for (int i = 0; i < HOSTS; i++) {
            all.add(apiAddress(i));
        }
        return all;
    }

    String ns(int i) {
        return PREFIX + id + "h" + i;
    }

    static HostRing create(long bitsPerSecond) {
        removeLeftovers();
        HostRing ring = new HostRing(ProcessHandle.current().pid());
        Runtime.getRuntime().addShutdownHook(ring.cleanup);
        try {
            for (int i = 0; i < HOSTS; i++) {
                check("ip", "netns", "add", ring.ns(i));
                check("ip", "-n", ring.ns(i), "link", "set", "lo", "up");
                String root = PREFIX + ring.id + "m" + i;
                check("ip", "link", "add", root, "type", "veth", "peer", "name", "mgmt", "netns", ring.ns(i));
                check("ip", "addr", "add", "203.0.113." + (4 * i + 1) + "/30", "dev", root);
                check("ip", "link", "set", root, "up");
                check("ip", "-n", ring.ns(i), "addr", "add", apiAddress(i) + "/30", "dev", "mgmt");
                check("ip", "-n", ring.ns(i), "link", "set", "mgmt", "up");
            }
            // Link i joins host i (.4i+1) and host i+1 (.4i+2).
            for (int link = 0; link < HOSTS; link++) {
                int a = link;
                int b = (link + 1) % HOSTS;
                String ea = "ring" + link + "a";
                String eb = "ring" + link + "b";
                check("ip", "link", "add", ea, "netns", ring.ns(a), "type", "veth", "peer", "name", eb, "netns", ring.ns(b));
                check("ip", "-n", ring.ns(a), "addr", "add", "198.51.100." + (4 * link + 1) + "/30", "dev", ea);
                check("ip", "-n", ring.ns(b), "addr", "add", "198.51.100." + (4 * link + 2) + "/30", "dev", eb);
                long burst = Math.max(64 << 10, bitsPerSecond / 8 / 250);
                for (String[] end : new String[][]{{ring.ns(a), ea}, {ring.ns(b), eb}}) {
                    check("ip", "-n", end[0], "link", "set", end[1], "up");
                    check("tc", "-n", end[0], "qdisc", "replace", "dev", end[1], "root", "tbf", "rate",
                            bitsPerSecond + "bit", "burst", String.valueOf(burst), "latency", "100ms");
                }
            }
            return ring;
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /** Starts {@code command} inside host {@code i}'s namespace; output goes to {@code name}.out/.err in {@code dir}. */
    Process start(int i, Path dir, String name, List<String> command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(i)));
        full.addAll(command);
        Process process = new ProcessBuilder(full).directory(dir.toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(dir.resolve(name + ".err").toFile())
                .start();
        processes.add(process);
        return process;
    }

    @Override
    public void close() {
        deleteAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs anyway, and deleting twice is harmless.
        }
    }

    private void deleteAll() {
        Processes.killAll(processes);
        processes.clear();
        for (int i = 0; i < HOSTS; i++) {
            run("ip", "netns", "del", ns(i));
        }
    }

    private static void removeLeftovers() {
        long self = ProcessHandle.current().pid();
        for (String line : run("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (name.matches(PREFIX + "[0-9]+h[0-9]")) {
                long pid = Long.parseLong(name.substring(PREFIX.length(), name.indexOf('h')));
                if (pid == self || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                    for (String inside : run("ip", "netns", "pids", name).split("\\s+")) {
                        if (inside.matches("[0-9]+")) {
                            ProcessHandle.of(Long.parseLong(inside)).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                    run("ip", "netns", "del", name);
                }
            }
        }
    }

    private static void check(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return output;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
