package io.mtemigrate.source;

import java.time.Duration;
import java.util.Locale;

/** The words for a bandwidth cap that cannot carry a migration within its timeout. */
final class BandwidthCap {
    private BandwidthCap() {
    }

    /**
     * @param cap          bytes per second
     * @param bytes        what has gone through the cap so far, the frame that broke the deadline included
     * @param leavesAfter  how long after the migration's start the cap would let the last of those bytes go
     */
    static String tooSmall(long cap, Duration timeout, long bytes, Duration leavesAfter) {
        return String.format(Locale.ROOT, "the bandwidth cap of %s is too small to finish within the %s timeout:"
                        + " at that rate the first %d bytes would have left only %s after the start", rate(cap),
                seconds(timeout), bytes, seconds(leavesAfter));
    }

    /** A migration whose time ran out while the cap held it back, after {@code bytes} had gone. */
    static String ranOut(long cap, Duration timeout, long bytes) {
        return String.format(Locale.ROOT, "the bandwidth cap of %s is too small to finish within the %s timeout:"
                + " %d bytes had gone at that rate when the time was up", rate(cap), seconds(timeout), bytes);
    }

    private static String rate(long cap) {
        return cap < 1024 ? cap + " bytes/s" : String.format(Locale.ROOT, "%d bytes/s (%s/s)", cap,
                cap < 1L << 20 ? String.format(Locale.ROOT, "%.1f KiB", cap / 1024.0)
                        : String.format(Locale.ROOT, "%.1f MiB", cap / 1048576.0));
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
                : String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
}
