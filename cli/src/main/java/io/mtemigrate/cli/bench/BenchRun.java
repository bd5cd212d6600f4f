package io.mtemigrate.cli.bench;

import io.mtemigrate.proto.MigrationReport;

import java.util.List;

/**
 * One migration's figures.
 *
 * @param peakMemoryBytes heap plus direct memory in use at the peak of the migration, both sides together
 * @param cpuNanos        CPU time of the whole process during the migration: both sides and the guest's vCPUs
 * @param rounds          per round: bytes on the wire so far and the dirty rate measured
 */
record BenchRun(MigrationReport report, long preallocMs, long peakMemoryBytes, long cpuNanos, List<long[]> rounds) {
    double throughputMBps() {
        return report.getRamBytes() / 1e6 / Math.max(1e-3, report.getTotalTimeMs() / 1e3);
    }

    /** Core-seconds per GB on the wire. */
    double cpuSecondsPerGB() {
        return ProcessCpu.secondsPerGB(cpuNanos, report.getBytesOnWire());
    }

    long headerBytes() {
        return report.getBytesOnWire() - report.getPageDataBytes() - report.getTagBytesOnWire();
    }
}
