package io.mtemigrate.cli.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A case's repeated runs, summarised as median and spread (min..max), next to the raw transfer limit.
 *
 * @param rawCpuSecondsPerGB core-seconds the raw transfer took per GB: with the cores saturated, its ratio to the
 *                           migration's bounds the throughput ratio
 * @param rawChannels        connections of the raw transfer that gave {@code rawMBps}: the case's or one
 */
record CaseResult(BenchCase benchCase, List<BenchRun> runs, double rawMBps, double rawCpuSecondsPerGB, int rawChannels) {
    double median(ToDoubleFunction<BenchRun> metric) {
        return medianOf(runs.stream().mapToDouble(metric).sorted().toArray());
    }

    double min(ToDoubleFunction<BenchRun> metric) {
        return runs.stream().mapToDouble(metric).min().orElse(0);
    }

    double max(ToDoubleFunction<BenchRun> metric) {
        return runs.stream().mapToDouble(metric).max().orElse(0);
    }

    double wireMBps() {
        return median(r -> r.report().getThroughputMbps());
    }

    /** Bytes on the wire per second against the raw transfer of the same byte count out of the same guest. */
    double ratioToRaw() {
        return rawMBps <= 0 ? 0 : wireMBps() / rawMBps;
    }

    /** The median over the runs whose CPU time was long enough to measure; NaN when none was. */
    double cpuSecondsPerGB() {
        return medianOf(runs.stream().mapToDouble(BenchRun::cpuSecondsPerGB).filter(v -> !Double.isNaN(v)).sorted().toArray());
    }

    /** NaN for no values. */
    private static double medianOf(double[] sorted) {
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    boolean allCompleted() {
        return runs.stream().allMatch(r -> r.report().getStatus().equals("completed")
                && r.report().getSourceDigest().equals(r.report().getTargetDigest()));
    }
}
