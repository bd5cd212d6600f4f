package io.mtemigrate.source;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.PostcopyFaults;
import io.mtemigrate.proto.PostcopyReport;
import io.mtemigrate.tagstream.frame.BatchCounters;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.util.function.LongSupplier;

/** The measurements of one migration: what progress shows while it runs and what its report says at the end. */
final class MigrationStats {
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    private final LongSupplier clock;
    private final long start;
    private long lastProgress;
    private long lastDirtyRead;
    private long dirtyBytes;
    private long dirtyRate;
    private long pausedAt;
    private long resumedAt;
    private long verifyNanos;
    private int roundsWithTornPages;
    private long sourceDigest;
    private long targetDigest;
    private boolean digestsKnown;
    private int rounds;
    private long bytesOnWire;
    private long tagCheckFaults;
    private BatchCounters counters = new BatchCounters();
    private int maxThrottle;
    /** Set at the switch to post-copy; null for a pre-copy migration. */
    private PostcopyReport.Builder postcopy;
    /** Named in each progress report: the limit may change while the migration runs. */
    private final LiveLimits limits;

    MigrationStats(LongSupplier clock, long start, LiveLimits limits) {
        this.clock = clock;
        this.limits = limits;
        this.start = start;
        this.lastDirtyRead = start;
    }

    /** Bytes per second on the wire since the migration started. */
    long bandwidth(MigrationTransport link) {
        long elapsed = clock.getAsLong() - start;
        return elapsed <= 0 ? 0 : (long) (link.bytesWritten() * 1e9 / elapsed);
    }

    void dirtyRead(long bytes) {
        long now = clock.getAsLong();
        dirtyRate = now > lastDirtyRead ? (long) (bytes * 1e9 / (now - lastDirtyRead)) : 0;
        dirtyBytes = bytes;
        lastDirtyRead = now;
    }

    void throttled(int percent) {
        maxThrottle = Math.max(maxThrottle, percent);
    }

    void switchedToPostcopy(long pagesAfterSwitch) {
        postcopy = PostcopyReport.newBuilder().setSwitchAtMs((pausedAt - start) / 1_000_000)
                .setPagesAfterSwitch(pagesAfterSwitch);
    }

    /** The target's Ack said every page is in: the faults its guest took, and the pages requests got here. */
    void postcopyFaults(PostcopyFaults faults, long requestedPages) {
        postcopy.setPostcopyMs((clock.getAsLong() - pausedAt) / 1_000_000).setFaults(faults.getFaults())
                .setRequests(Math.max(faults.getRequests(), requestedPages))
                .setFaultLatencyP50Us(faults.getLatencyP50Us()).setFaultLatencyP99Us(faults.getLatencyP99Us())
                .setFaultLatencyMaxUs(faults.getLatencyMaxUs());
    }

    void recovered() {
        postcopy.setRecoveries(postcopy.getRecoveries() + 1);
    }

    void paused() {
        pausedAt = clock.getAsLong();
    }

    void resumedOnTarget() {
        resumedAt = clock.getAsLong();
    }

    /** Time the source took to digest its paused memory after the switchover. */
    void verified(long nanos) {
        verifyNanos = nanos;
    }

    void roundsWithTornPages(int rounds) {
        roundsWithTornPages = rounds;
    }

    void digests(long source, long target, int roundCount, BatchCounters sent, long wireBytes) {
        sourceDigest = source;
        targetDigest = target;
        digestsKnown = true;
        rounds = roundCount;
        counters = sent;
        bytesOnWire = wireBytes;
    }

    void maybeReport(ProgressListener listener, Phase phase, int round, MigrationTransport link, PageSender sender, int throttle) {
        long now = clock.getAsLong();
        if (now - lastProgress >= PROGRESS_INTERVAL_NANOS) {
            report(listener, phase, round, link, sender, throttle);
        }
    }

    void report(ProgressListener listener, Phase phase, int round, MigrationTransport link, PageSender sender, int throttle) {
        lastProgress = clock.getAsLong();
        long bandwidth = bandwidth(link);
        long totalPages = 0;
        for (int s = 0; s < sender.slotCount(); s++) {
            totalPages += sender.slotPages(s);
        }
        int percent = phase == Phase.FIRST_PASS && totalPages > 0
                ? (int) (sender.pagesSentInPass() * 100 / totalPages) : 100;
        bytesOnWire = link.bytesWritten();
        counters = sender.total();
        MigrationProgress.Sent sent = new MigrationProgress.Sent(counters.pages(), counters.zeroPages(),
                counters.pageDataBytes(), counters.tagBytes());
        listener.onProgress(new MigrationProgress(phase, round, link.bytesWritten(), dirtyBytes, dirtyRate, bandwidth,
                ConvergencePolicy.expectedDowntimeMs(dirtyBytes, bandwidth), throttle, percent, link.bytesInFlight(),
                sent, limits.downtimeLimit().toMillis()));
    }

    MigrationReport report(MigratableVm machine, String status, String error) {
        long end = clock.getAsLong();
        if (pausedAt != 0 && machine.vcpusPaused()) {
            tagCheckFaults = machine.progress().tagCheckFaults();
        }
        // Migration time: what the guest's move took; the source's check of its own copy afterwards is apart.
        double seconds = Math.max(1e-9, (end - start - verifyNanos) / 1e9);
        MigrationReport.Builder report = MigrationReport.newBuilder()
                .setStatus(status)
                .setRamBytes(machine.layout().ramBytes())
                .setPageSize(machine.layout().pageSize().bytes())
                .setVcpus(machine.layout().vcpus())
                .setRounds(rounds)
                .setTotalTimeMs((end - start) / 1_000_000)
                .setDowntimeMs(resumedAt > pausedAt && pausedAt != 0 ? (resumedAt - pausedAt) / 1_000_000 : 0)
                .setBytesOnWire(bytesOnWire)
                .setPageDataBytes(counters.pageDataBytes())
                .setTagBytesOnWire(counters.tagBytes())
                .setPagesSent(counters.pages())
                .setZeroPages(counters.zeroPages())
                .setThroughputMbps(bytesOnWire / 1e6 / seconds)
                .setTagCheckFaults(tagCheckFaults)
                .setVerifyMs(verifyNanos / 1_000_000)
                .setRoundsWithTornPages(roundsWithTornPages)
                .setMaxThrottle(maxThrottle)
                .setError(error);
        if (postcopy != null) {
            report.setPostcopy(postcopy);
        }
        if (digestsKnown) {
            report.setSourceDigest(RamDigest.hex(sourceDigest)).setTargetDigest(RamDigest.hex(targetDigest));
        }
        return report.build();
    }
}
