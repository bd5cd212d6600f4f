package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RawBatchesTest {
    @Test
    void shouldDealEveryByteOnceToOneChannelAndNeverCrossAMappingChunk() throws Exception {
        long[] sizes = {HostMemory.CHUNK_SIZE + 8192 + 100 * 4096L, 3 * 4096L};
        long bytes = sizes[0] + sizes[1];
        List<long[]> seen = new ArrayList<>();
        RawBatches batches = new RawBatches(sizes, bytes);
        for (int channel = 0; channel < 3; channel++) {
            batches.forChannel(channel, 3, (region, offset, length) -> {
                seen.add(new long[] {region, offset, length});
                long chunk = offset / HostMemory.CHUNK_SIZE;
                assertEquals(chunk, (offset + length - 1) / HostMemory.CHUNK_SIZE, "batch at " + offset + " crosses a chunk");
                assertFalse(length > RawBatches.BATCH, "batch of " + length);
            });
        }
        seen.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        long[] next = new long[sizes.length];
        for (long[] batch : seen) {
            assertEquals(next[(int) batch[0]], batch[1], "a gap or an overlap in region " + batch[0]);
            next[(int) batch[0]] += batch[2];
        }
        assertEquals(sizes[0], next[0]);
        assertEquals(sizes[1], next[1]);
    }

    @Test
    void shouldStopAtExactlyTheByteCountWhenItEndsInsideABatch() throws Exception {
        RawBatches batches = new RawBatches(new long[] {1L << 20}, 3L * (1 << 20) + 7);
        long[] total = {0};
        for (int channel = 0; channel < 2; channel++) {
            batches.forChannel(channel, 2, (region, offset, length) -> total[0] += length);
        }
        assertEquals(3L * (1 << 20) + 7, total[0]);
    }

    @Test
    void shouldRefuseToMoveBytesOutOfNoMemory() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RawBatches(new long[0], 4096));
        assertEquals("no memory to move 4096 bytes from", e.getMessage());
    }
}
