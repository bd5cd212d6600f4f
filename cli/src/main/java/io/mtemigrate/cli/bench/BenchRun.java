package io.mtemigrate.cli.bench;

import io.mtemigrate.proto.MigrationReport;

import java.util.List;

/**
 * One migration's figures.
 *
 * @param peakMemoryBytes heap plus direct memory in use at the peak of the migration, both sides together
 * @param rounds          per round: bytes on the wire so far and the dirty rate measured
 */
record BenchRun(MigrationReport report, long preallocMs, long peakMemoryBytes, List<long[]> rounds) {
    double throughputMBps() {
        return report.getRamBytes() / 1e6 / Math.max(1e-3, report.getTotalTimeMs() / 1e3);
    }

    long headerBytes() {
        return report.getBytesOnWire() - report.getPageDataBytes() - report.getTagBytesOnWire();
    }
}
