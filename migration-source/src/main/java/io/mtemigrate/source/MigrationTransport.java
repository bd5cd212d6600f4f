package io.mtemigrate.source;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.PageRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Where a migration's frames go and its answers come from: a target over TCP, or a stream file being recorded. */
interface MigrationTransport extends AutoCloseable {
    int channelCount();

    ByteBufAllocator alloc();

    /** Sends a frame on a channel, taking ownership of it; may wait for room in the in-flight budget. */
    void send(int channel, ByteBuf frame, Checkpoint checkpoint) throws MigrationFailure;

    void sendControl(int channel, ControlMessage message) throws MigrationFailure;

    /** Sends and waits for the write itself; false when the message certainly did not leave. */
    boolean sendControlAndWait(int channel, ControlMessage message);

    ControlMessage awaitControl(long deadlineNanos, Checkpoint checkpoint) throws MigrationFailure;

    long bytesWritten();

    /** Waits until the target has received and applied every page of {@code round} (a recording does not wait). */
    default void awaitRoundReceived(long round, Checkpoint checkpoint) throws MigrationFailure {
    }

    /** Bytes handed to {@link #send} that have not yet left for the wire; bounded by the in-flight budget. */
    default long bytesInFlight() {
        return 0;
    }

    void throwIfFailed() throws MigrationFailure;

    /** Stops applying the migration's timeout to waits and pacing (after the switch to post-copy). */
    default void endDeadline() {
    }

    /** Sends a frame on the post-copy channel at once, taking ownership of it. */
    default void sendUrgent(ByteBuf frame) {
        frame.release();
        throw new UnsupportedOperationException("this transport has no post-copy channel");
    }

    /** The target's next page request, waiting up to {@code timeoutNanos}; null when none came. */
    default PageRequest pollRequest(long timeoutNanos) throws InterruptedException {
        return null;
    }

    /** The migration succeeded: keep what was sent (a recording is kept only then). */
    default void commit() throws MigrationFailure {
    }

    @Override
    void close();
}
