package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.PostcopyReport;

import java.io.PrintStream;
import java.util.Locale;

/** The short table printed at the end of a run: stable, one "name  value" pair a line, easy to grep. */
final class Summary {
    private Summary() {
    }

    static void print(MigrationReport r, PrintStream out) {
        row(out, "status", r.getStatus());
        if (!r.getError().isEmpty()) {
            row(out, "error", r.getError());
        }
        if (r.getRamBytes() > 0) {
            row(out, "RAM", Units.bytes(r.getRamBytes()) + " (" + r.getPageSize() / 1024 + "K pages, " + r.getVcpus() + " vCPUs)");
        }
        if (r.getRounds() > 0) {
            row(out, "rounds", Integer.toString(r.getRounds()));
        }
        if (r.getPreallocMs() > 0) {
            row(out, "target prealloc", r.getPreallocMs() + " ms (before the migration)");
        }
        if (r.getTotalTimeMs() > 0) {
            row(out, "total time", r.getTotalTimeMs() + " ms" + (r.getVerifyMs() > 0
                    ? " (of which " + r.getVerifyMs() + " ms verifying the source's memory after the switchover)" : ""));
            row(out, "downtime", r.getDowntimeMs() + " ms" + (r.hasPostcopy()
                    ? " (the pause at the switch to post-copy, to the guest's resume on the target)" : ""));
        }
        if (r.getMaxThrottle() > 0) {
            row(out, "max throttle", r.getMaxThrottle() + "% of the guest's vCPU time (auto-converge)");
        }
        if (r.hasPostcopy()) {
            postcopy(r.getPostcopy(), r.getPageSize(), out);
        }
        if (r.getBytesOnWire() > 0) {
            row(out, "on the wire", Units.bytes(r.getBytesOnWire()) + " (page data " + Units.bytes(r.getPageDataBytes())
                    + ", tags " + Units.bytes(r.getTagBytesOnWire()) + ")");
            row(out, "pages sent", r.getPagesSent() + " (" + r.getZeroPages() + " zero)");
            row(out, "throughput", String.format(Locale.ROOT, "%.1f MB/s", r.getThroughputMbps()));
        }
        optional(out, "source digest", r.getSourceDigest());
        optional(out, "target digest", r.getTargetDigest());
        optional(out, "final digest", r.getFinalDigest());
        optional(out, "reference digest", r.getReferenceDigest());
        row(out, "tag-check faults", Long.toString(r.getTagCheckFaults()));
    }

    /** After the switch the guest ran on the target and waited for what it touched first: how long and how often. */
    private static void postcopy(PostcopyReport p, int pageSize, PrintStream out) {
        row(out, "post-copy switch", "at " + p.getSwitchAtMs() + " ms");
        row(out, "pages after switch", p.getPagesAfterSwitch() + (pageSize > 0
                ? " (" + Units.bytes(p.getPagesAfterSwitch() * pageSize) + ")" : ""));
        row(out, "post-copy time", p.getPostcopyMs() + " ms (from the switch to the target's last page)");
        row(out, "post-copy faults", p.getFaults() + " (" + p.getRequests() + " page requests)");
        if (p.getFaults() > 0) {
            row(out, "fault latency", String.format(Locale.ROOT, "p50 %d us, p99 %d us, max %d us",
                    p.getFaultLatencyP50Us(), p.getFaultLatencyP99Us(), p.getFaultLatencyMaxUs()));
        }
        if (p.getRecoveries() > 0) {
            row(out, "recoveries", p.getRecoveries() + " (connections lost after the switch and made again)");
        }
    }

    private static void optional(PrintStream out, String name, String value) {
        if (!value.isEmpty()) {
            row(out, name, value);
        }
    }

    private static void row(PrintStream out, String name, String value) {
        out.printf(Locale.ROOT, "%-18s %s%n", name, value);
    }
}
