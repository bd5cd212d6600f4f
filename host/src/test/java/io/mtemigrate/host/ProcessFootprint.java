package io.mtemigrate.host;

import io.netty.util.internal.PlatformDependent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What this process holds at one moment, besides its guests: open file descriptors, kernel threads (the JVM's own
 * included), heap in use after a collection, direct buffers (the JDK's and Netty's), and resident memory minus the
 * guests' RAM, and that minus the committed heap (what G1 chose to commit moves RSS by tens of MiB either way).
 */
record ProcessFootprint(int fds, int threads, long heapAfterGc, long direct, long rss, long rssBeyondGuests,
                        long nativeBeyond) {
    private static final long MIB = 1 << 20;

    /** @param guestBytes RAM of the guests this process runs now, all of it resident at worst */
    static ProcessFootprint measure(long guestBytes) {
        // Twice: the first collection may only queue what the second frees (cleaners of direct buffers).
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum()
                + Math.max(0, PlatformDependent.usedDirectMemory());
        long rss = statusKib("VmRSS") * 1024;
        return new ProcessFootprint(count("/proc/self/fd"), count("/proc/self/task"), heap, direct, rss,
                rss - guestBytes, rss - guestBytes - committed);
    }

    private static int count(String dir) {
        try (Stream<Path> entries = Files.list(Path.of(dir))) {
            return (int) entries.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long statusKib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "fds %d, threads %d, heap after GC %.1f MiB, direct %.1f MiB,"
                + " RSS %.1f MiB (%.1f MiB beyond the guest, %.1f MiB beyond it and the committed heap)", fds,
                threads, heapAfterGc / (double) MIB, direct / (double) MIB, rss / (double) MIB,
                rssBeyondGuests / (double) MIB, nativeBeyond / (double) MIB);
    }
}
