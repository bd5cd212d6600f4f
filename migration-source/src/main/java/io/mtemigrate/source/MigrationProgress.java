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
 */
public record MigrationProgress(Phase phase, int round, long bytesSent, long remainingDirtyBytes, long dirtyRate,
                                long bandwidth, long expectedDowntimeMs, int throttle, int ramPercent,
                                long bytesInFlight) {
}
