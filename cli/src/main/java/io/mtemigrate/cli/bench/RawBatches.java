package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The order in which a raw transfer moves guest memory: batches of at most {@link #BATCH} bytes that walk the
 * regions from the first byte to the last and start over until the byte count is reached, dealt to the channels in
 * turn. Sender and receiver derive the same sequence from the region sizes alone, so no header travels.
 */
final class RawBatches {
    /** The migration's batch size: one fingerprint pass and one gathering write each. */
    static final int BATCH = 256 << 10;

    /** A batch: {@code length} bytes at {@code offset} of region {@code region}, inside one mapping chunk. */
    @FunctionalInterface
    interface Visitor {
        void batch(int region, long offset, int length) throws IOException;
    }

    private final List<long[]> cycle = new ArrayList<>();
    private final long bytes;

    /**
     * @param regionSizes the sizes of the regions, each a multiple of 4 KiB
     * @param bytes       how many bytes the whole transfer moves, over all channels
     */
    RawBatches(long[] regionSizes, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("a raw transfer cannot move " + bytes + " bytes");
        }
        for (int region = 0; region < regionSizes.length; region++) {
            for (long offset = 0; offset < regionSizes[region]; ) {
                // Batches never cross a chunk, so each is one slice of one mapping.
                long chunkEnd = (offset / HostMemory.CHUNK_SIZE + 1) * HostMemory.CHUNK_SIZE;
                int length = (int) Math.min(BATCH, Math.min(regionSizes[region], chunkEnd) - offset);
                cycle.add(new long[] {region, offset, length});
                offset += length;
            }
        }
        if (cycle.isEmpty() && bytes > 0) {
            throw new IllegalArgumentException("no memory to move " + bytes + " bytes from");
        }
        this.bytes = bytes;
    }

    long bytes() {
        return bytes;
    }

    /** The batches channel {@code channel} of {@code channels} carries, in the order it carries them. */
    void forChannel(int channel, int channels, Visitor visitor) throws IOException {
        long done = 0;
        for (long k = 0; done < bytes; k++) {
            long[] batch = cycle.get((int) (k % cycle.size()));
            int length = (int) Math.min(batch[2], bytes - done);
            if (k % channels == channel) {
                visitor.batch((int) batch[0], batch[1], length);
            }
            done += length;
        }
    }
}
