package io.mtemigrate.cli.bench;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * CPU time of this whole process: every thread of both sides of a migration (and of the guest), so that a case's
 * cost per byte can be set against the raw transfer's when both are limited by the same cores.
 */
final class ProcessCpu {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** The process clock ticks in 10 ms steps (Linux): a figure from less CPU time than this says little. */
    private static final long MIN_MEANINGFUL_NANOS = 200_000_000L;

    private ProcessCpu() {
    }

    static long nanos() {
        return OS.getProcessCpuTime();
    }

    /** Core-seconds per 10^9 bytes; NaN when too little was measured to tell. */
    static double secondsPerGB(long cpuNanos, long bytes) {
        return bytes <= 0 || cpuNanos < MIN_MEANINGFUL_NANOS ? Double.NaN : cpuNanos / (double) bytes;
    }

    /** For tables: two decimals, or "-" when not measured. */
    static String format(double secondsPerGB) {
        return Double.isNaN(secondsPerGB) ? "-" : String.format(Locale.ROOT, "%.2f", secondsPerGB);
    }

    /** For JSON: three decimals, or null when not measured. */
    static String json(double secondsPerGB) {
        return Double.isNaN(secondsPerGB) ? "null" : String.format(Locale.ROOT, "%.3f", secondsPerGB);
    }
}
