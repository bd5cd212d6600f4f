package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;

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
            row(out, "downtime", r.getDowntimeMs() + " ms");
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

    private static void optional(PrintStream out, String name, String value) {
        if (!value.isEmpty()) {
            row(out, name, value);
        }
    }

    private static void row(PrintStream out, String name, String value) {
        out.printf(Locale.ROOT, "%-18s %s%n", name, value);
    }
}
