package io.mtemigrate.cli;

import io.mtemigrate.source.MigrationProgress;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.ProgressListener;

import java.io.PrintStream;
import java.util.Locale;

/** One progress line on stderr, rewritten in place on a terminal and printed line by line elsewhere. */
final class ProgressPrinter implements ProgressListener {
    private final PrintStream err;
    private final boolean terminal;
    private boolean open;

    ProgressPrinter(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public synchronized void onProgress(MigrationProgress p) {
        if (p.phase() == Phase.POSTCOPY_SWITCH || p.phase() == Phase.POSTCOPY) {
            // Each said once: kept on a line of its own, not overwritten by the next report.
            finish();
            err.println(postcopyLine(p));
            err.flush();
            return;
        }
        String line = String.format(Locale.ROOT,
                "%-22s round %-3d %3d%% of RAM  %7.1f MB/s  dirty %7.1f MB/s  expected downtime %s  throttle %d%%",
                p.phase(), p.round(), p.ramPercent(), p.bandwidth() / 1e6, p.dirtyRate() / 1e6,
                p.expectedDowntimeMs() == Long.MAX_VALUE ? "?" : p.expectedDowntimeMs() + " ms", p.throttle());
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
            open = true;
            if (p.phase() == Phase.VERIFY) {
                finish();
            }
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** The dirty rate and expected downtime mean nothing after the switch: the guest no longer runs here. */
    static String postcopyLine(MigrationProgress p) {
        if (p.phase() == Phase.POSTCOPY_SWITCH) {
            // Round 0 is a switch before the first pass, round 1 one right after it.
            int rounds = p.round() - 1;
            String when = rounds < 0 ? "before any page was sent" : "after " + (rounds == 0 ? "the first pass"
                    : rounds + (rounds == 1 ? " round" : " rounds"));
            return String.format(Locale.ROOT, "%-22s %s: pausing the guest here for good; it resumes on the target"
                    + " before %s its memory arrives", p.phase(), when, rounds < 0 ? "any of" : "the rest of");
        }
        return String.format(Locale.ROOT, "%-22s the guest runs on the target; pushing the pages it lacks (%s sent"
                + " so far), those it touches first are fetched ahead", p.phase(), Units.bytes(p.bytesSent()));
    }

    synchronized void finish() {
        if (open) {
            err.println();
            open = false;
        }
    }
}
