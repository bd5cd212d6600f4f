package io.mtemigrate.migration;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Error;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.frame.PageBatchEncoder;

/** Protocol facts both ends agree on. */
public final class Protocol {
    public static final String SOFTWARE = "mte-migrate 0.1.0";
    /** The receiver's limits; the sender's batches stay far below them. */
    public static final FrameLimits LIMITS = FrameLimits.DEFAULT;
    /** Page data per batch frame: large enough to amortise headers, small enough to interleave channels. */
    public static final int BATCH_BYTES = 256 << 10;
    /** The largest frame a source's batch can take, whatever the page size: what its frame buffers hold. */
    public static final int MAX_BATCH_FRAME_BYTES = maxBatchFrameBytes();

    private Protocol() {
    }

    private static int maxBatchFrameBytes() {
        long most = 0;
        for (PageSize size : PageSize.values()) {
            most = Math.max(most, PageBatchEncoder.worstCaseFrameBytes(pagesPerBatch(size.bytes()), size));
        }
        return Math.toIntExact(most);
    }

    public static int pagesPerBatch(int pageSize) {
        return Math.max(1, BATCH_BYTES / pageSize);
    }

    /**
     * The channel that carries the batch starting at {@code page} of the slot at {@code slotIndex}: batches spread
     * evenly over the channels. Order needs no help from it: a page appears at most once per round, and the
     * source starts a round only once the target has confirmed the previous one (RoundReceived).
     */
    public static int channelFor(int slotIndex, long page, int pagesPerBatch, int channels) {
        long group = page / pagesPerBatch + slotIndex * 7_919L;
        return (int) (group % channels);
    }

    public static ControlMessage error(ErrorCode code, String message) {
        return ControlMessage.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)).build();
    }
}
