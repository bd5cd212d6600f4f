package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.PostcopyReport;
import io.mtemigrate.source.MigrationProgress;
import io.mtemigrate.source.Phase;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the summary and the progress lines say of a switch to post-copy and of the throttle. */
class PostcopySummaryTest {
    private static final MigrationReport PRE_COPY = MigrationReport.newBuilder().setStatus("completed")
            .setRamBytes(16 << 20).setPageSize(4096).setVcpus(2).setRounds(3).setTotalTimeMs(900).setDowntimeMs(20)
            .build();

    private static String summary(MigrationReport report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Summary.print(report, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldShowTheSwitchItsPagesItsTimeAndItsFaults() {
        String text = summary(PRE_COPY.toBuilder().setPostcopy(PostcopyReport.newBuilder().setSwitchAtMs(812)
                .setPagesAfterSwitch(1024).setPostcopyMs(345).setFaults(57).setRequests(50).setFaultLatencyP50Us(120)
                .setFaultLatencyP99Us(900).setFaultLatencyMaxUs(1500)).build());

        assertTrue(text.contains("downtime           20 ms (the pause at the switch to post-copy"), text);
        assertTrue(text.contains("post-copy switch   at 812 ms\n"), text);
        assertTrue(text.contains("pages after switch 1024 (4.0 MiB)\n"), text);
        assertTrue(text.contains("post-copy time     345 ms"), text);
        assertTrue(text.contains("post-copy faults   57 (50 page requests)\n"), text);
        assertTrue(text.contains("fault latency      p50 120 us, p99 900 us, max 1500 us\n"), text);
        assertFalse(text.contains("recoveries"), "no recovery row when the connections held: " + text);
        assertFalse(text.contains("max throttle"), "post-copy never throttled this guest: " + text);
    }

    @Test
    void shouldLeaveOutTheFaultLatencyOfAPostcopyWithoutFaultsButShowItsRecoveries() {
        String text = summary(PRE_COPY.toBuilder().setPostcopy(PostcopyReport.newBuilder().setSwitchAtMs(5)
                .setRecoveries(2)).build());

        assertTrue(text.contains("post-copy faults   0 (0 page requests)"), text);
        assertFalse(text.contains("fault latency"), text);
        assertTrue(text.contains("recoveries         2 "), text);
    }

    @Test
    void shouldShowTheHighestThrottleOfAPreCopyAndNoPostcopyRows() {
        String text = summary(PRE_COPY.toBuilder().setMaxThrottle(40).build());

        assertTrue(text.contains("max throttle       40% of the guest's vCPU time"), text);
        assertFalse(text.contains("post-copy"), text);
        assertTrue(text.contains("downtime           20 ms\n"), text);
        assertFalse(summary(PRE_COPY).contains("max throttle"), "no row for a throttle never applied");
    }

    private static MigrationProgress at(Phase phase, int round) {
        return new MigrationProgress(phase, round, 24 << 20, 8 << 20, 64 << 20, 20_000_000, 400, 0, 100, 0);
    }

    @Test
    void shouldSayWhenTheSwitchCameAndWhatHappensAfterIt() {
        assertTrue(ProgressPrinter.postcopyLine(at(Phase.POSTCOPY_SWITCH, 1)).matches(
                "switch to post-copy +after the first pass: pausing the guest here for good; it resumes on the"
                        + " target before the rest of its memory arrives"));
        assertTrue(ProgressPrinter.postcopyLine(at(Phase.POSTCOPY_SWITCH, 0)).contains("before any page was sent:"
                + " pausing the guest here for good; it resumes on the target before any of its memory arrives"));
        assertTrue(ProgressPrinter.postcopyLine(at(Phase.POSTCOPY_SWITCH, 2)).contains("after 1 round:"));
        assertTrue(ProgressPrinter.postcopyLine(at(Phase.POSTCOPY_SWITCH, 4)).contains("after 3 rounds:"));
        String after = ProgressPrinter.postcopyLine(at(Phase.POSTCOPY, 4));
        assertTrue(after.startsWith("post-copy ") && after.contains("the guest runs on the target")
                && after.contains("24.0 MiB sent so far"), after);
        assertFalse(after.contains("dirty") || after.contains("expected downtime"),
                "the guest no longer runs on the source: " + after);
    }

    @Test
    void shouldKeepEachPostcopyLineOnALineOfItsOwnOnATerminal() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressPrinter printer = new ProgressPrinter(new PrintStream(err, true, StandardCharsets.UTF_8), true);
        printer.onProgress(at(Phase.ROUNDS, 3));
        printer.onProgress(at(Phase.POSTCOPY_SWITCH, 3));
        printer.onProgress(at(Phase.POSTCOPY, 3));
        printer.onProgress(at(Phase.VERIFY, 3));

        String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length, err.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("\rpre-copy rounds"), lines[0]);
        assertTrue(lines[1].startsWith("switch to post-copy"), lines[1]);
        assertTrue(lines[2].startsWith("post-copy"), lines[2]);
        assertTrue(lines[3].startsWith("\rverification"), lines[3]);
    }
}
