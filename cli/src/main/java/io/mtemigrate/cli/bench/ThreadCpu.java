package io.mtemigrate.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of every native thread of this process, from {@code /proc/self/task}: JIT compiler and GC threads
 * included, which the JVM's own thread beans do not list. Run time comes from {@code schedstat} (nanoseconds); the
 * user/system split from {@code stat}'s tick counts, whose 10 ms resolution is too coarse to be the total.
 */
final class ThreadCpu {
    /** One thread's counters. */
    record Sample(String name, long runNanos, long userTicks, long systemTicks) {
    }

    private ThreadCpu() {
    }

    /** Every live thread by its task id. */
    static Map<Long, Sample> snapshot() throws IOException {
        Map<Long, Sample> threads = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    long run = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                    String stat = Files.readString(task.resolve("stat"));
                    // The name in parentheses may hold spaces: fields are counted after its closing parenthesis.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    threads.put(Long.parseLong(task.getFileName().toString()),
                            new Sample(name, run, Long.parseLong(fields[11]), Long.parseLong(fields[12])));
                } catch (IOException | RuntimeException e) {
                    // A thread that ended while being read used no more CPU worth counting.
                }
            }
        }
        return threads;
    }

    /**
     * Snapshots every {@code periodMillis} until closed, keeping each thread's last counters: a thread that ends
     * between two snapshots (a migration's own threads end with it) is counted up to its last sample.
     */
    static final class Sampler implements AutoCloseable {
        private final Map<Long, Sample> last = new java.util.concurrent.ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Sampler(long periodMillis) throws IOException {
            last.putAll(snapshot());
            thread = new Thread(() -> {
                while (running) {
                    try {
                        last.putAll(snapshot());
                        java.util.concurrent.locks.LockSupport.parkNanos(periodMillis * 1_000_000);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "cpu-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException, InterruptedException {
            running = false;
            thread.join();
            last.putAll(snapshot());
        }

        Map<Long, Sample> last() {
            return Map.copyOf(last);
        }
    }

    /** What each thread used between two snapshots; threads that started in between count from zero. */
    static Map<Long, Sample> since(Map<Long, Sample> before, Map<Long, Sample> after) {
        Map<Long, Sample> used = new HashMap<>();
        after.forEach((id, now) -> {
            Sample then = before.get(id);
            if (then == null || !then.name().equals(now.name())) {
                used.put(id, now);
            } else {
                used.put(id, new Sample(now.name(), now.runNanos() - then.runNanos(),
                        now.userTicks() - then.userTicks(), now.systemTicks() - then.systemTicks()));
            }
        });
        return used;
    }
}
