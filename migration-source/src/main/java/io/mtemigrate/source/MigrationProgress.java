package io.mtemigrate.source;

/**
 * A snapshot of a running migration, for progress displays.
 *
 * @param bytesSent          bytes written to the wire so far
 * @param remainingDirtyBytes dirty guest memory at the last dirty-log read
 * @param dirtyRate          bytes per second the guest dirtied during the last round
 * @param bandwidth          bytes per second measured on the wire
 * @param expectedDowntimeMs what stop-and-copy would take now
 * @param ramPercent         share of RAM sent in the first pass (100 once it is done)
 * @param bytesInFlight      frames handed to the transport that have not yet left for the wire
 * @param sent               pages, zero pages, page data and tag bytes encoded so far, by kind
 * @param downtimeLimitMs    the downtime limit in force (it may change while the migration runs)
 */
public record MigrationProgress(Phase phase, int round, long bytesSent, long remainingDirtyBytes, long dirtyRate,
                                long bandwidth, long expectedDowntimeMs, int throttle, int ramPercent,
                                long bytesInFlight, Sent sent, long downtimeLimitMs) {
    /** What was encoded so far, by kind. */
    public record Sent(long pages, long zeroPages, long pageDataBytes, long tagBytes) {
        public static final Sent NONE = new Sent(0, 0, 0, 0);
    }

    /** Without the counts by kind, as before they were reported. */
    public MigrationProgress(Phase phase, int round, long bytesSent, long remainingDirtyBytes, long dirtyRate,
                             long bandwidth, long expectedDowntimeMs, int throttle, int ramPercent, long bytesInFlight) {
        this(phase, round, bytesSent, remainingDirtyBytes, dirtyRate, bandwidth, expectedDowntimeMs, throttle,
                ramPercent, bytesInFlight, Sent.NONE, 0);
    }
}
