package io.mtemigrate.incoming;

import io.mtemigrate.proto.PostcopyFaults;
import io.mtemigrate.vmsim.vmm.MissingPage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultTrackerTest {
    private final FaultTracker tracker = new FaultTracker(3);

    @Test
    void shouldAskOnceForAPageTwoVcpusWaitOnAndTimeBothUntilItsInstall() {
        assertTrue(tracker.faulted(new MissingPage(0, 7, 0, false), false, 1_000_000));
        assertFalse(tracker.faulted(new MissingPage(0, 7, 1, true), false, 3_000_000), "asked for already");
        assertEquals(List.of(new MissingPage(0, 7, 0, false)), tracker.waiting());
        tracker.installed(0, 6, 2, 5_000_000);
        assertEquals(List.of(), tracker.waiting());
        PostcopyFaults faults = tracker.summary(2);
        assertEquals(2, faults.getFaults());
        assertEquals(1, faults.getRequests());
        assertEquals(2000, faults.getLatencyP50Us());
        assertEquals(4000, faults.getLatencyMaxUs());
    }

    @Test
    void shouldNotAskForAPageInstalledBeforeTheFaultWasRead() {
        assertFalse(tracker.faulted(new MissingPage(0, 7, 2, false), true, 1_000));
        assertEquals(List.of(), tracker.waiting());
        assertEquals(0, tracker.summary(0).getRequests());
    }

    @Test
    void shouldTakeTheNearestRankPercentiles() {
        long[] sorted = new long[100];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = i + 1;
        }
        assertEquals(50, FaultTracker.percentile(sorted, 50));
        assertEquals(99, FaultTracker.percentile(sorted, 99));
        assertEquals(0, FaultTracker.percentile(new long[0], 99));
    }
}
