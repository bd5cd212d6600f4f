package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The raw transfer moves exactly the bytes asked for, out of the guest's memory, and lands them intact. */
class RawTransferTest {
    /** Not a whole number of batches, so the last batch is short. */
    private static final long SIZE = (3L << 20) + (64 << 10) + 4096;

    @Test
    void shouldLandEveryByteOfTheGuestIntactInTheReceiversMemory() throws Exception {
        try (HostMemory from = random(SIZE, 1); HostMemory to = HostMemory.anonymous(SIZE, PageSize.SIZE_4K)) {
            RawTransfer.Result result = RawTransfer.transfer(List.of(from), List.of(to), SIZE, 2);
            assertEquals(SIZE, result.bytes());
            assertEquals(-1, firstDifference(from, to, SIZE));
        }
    }

    @Test
    void shouldWalkTheGuestAgainWhenMovingMoreBytesThanItHolds() throws Exception {
        long bytes = 2 * SIZE + 12_345;
        try (HostMemory from = random(SIZE, 2); HostMemory to = HostMemory.anonymous(SIZE, PageSize.SIZE_4K)) {
            RawTransfer.Result result = RawTransfer.transfer(List.of(from), List.of(to), bytes, 3);
            assertEquals(bytes, result.bytes());
            assertEquals(-1, firstDifference(from, to, SIZE));
        }
    }

    @Test
    void shouldMoveOnlyTheBytesAskedForWhenTheGuestHoldsMore() throws Exception {
        long bytes = (1L << 20) + 100;
        try (HostMemory from = random(SIZE, 3); HostMemory to = HostMemory.anonymous(SIZE, PageSize.SIZE_4K)) {
            RawTransfer.Result result = RawTransfer.transfer(List.of(from), List.of(to), bytes, 2);
            assertEquals(bytes, result.bytes());
            assertEquals(-1, firstDifference(from, to, bytes));
            for (long offset = bytes; offset < SIZE; offset++) {
                assertEquals(0, to.chunk(offset).get(HostMemory.offsetInChunk(offset)), "byte " + offset);
            }
        }
    }

    @Test
    void shouldMoveEachRegionIntoTheRegionOfTheSameIndex() throws Exception {
        try (HostMemory a = random(1L << 20, 4); HostMemory b = random(512 << 10, 5);
             HostMemory toA = HostMemory.anonymous(1L << 20, PageSize.SIZE_4K);
             HostMemory toB = HostMemory.anonymous(512 << 10, PageSize.SIZE_4K)) {
            RawTransfer.Result result = RawTransfer.transfer(List.of(a, b), List.of(toA, toB), (3L << 20) / 2, 2);
            assertEquals((3L << 20) / 2, result.bytes());
            assertEquals(-1, firstDifference(a, toA, 1L << 20));
            assertEquals(-1, firstDifference(b, toB, 512 << 10));
        }
    }

    @Test
    void shouldGiveTheFasterOfTheCasesChannelsAndOne() throws Exception {
        try (HostMemory from = random(SIZE, 6)) {
            RawTransfer.Result result = RawTransfer.run(List.of(from), SIZE, 2);
            assertEquals(SIZE, result.bytes());
            assertTrue(result.channels() == 1 || result.channels() == 2, "channels " + result.channels());
        }
    }

    @Test
    void shouldRefuseReceivingMemoryOfAnotherShape() throws Exception {
        try (HostMemory from = random(1L << 20, 7); HostMemory to = HostMemory.anonymous(2L << 20, PageSize.SIZE_4K)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RawTransfer.transfer(List.of(from), List.of(to), 1L << 20, 1));
            assertTrue(e.getMessage().contains("regions"), e.getMessage());
        }
    }

    private static HostMemory random(long size, long seed) {
        HostMemory memory = HostMemory.anonymous(size, PageSize.SIZE_4K);
        SplittableRandom random = new SplittableRandom(seed);
        for (long offset = 0; offset < size; offset += Long.BYTES) {
            memory.putLong(offset, random.nextLong());
        }
        return memory;
    }

    /** The first offset below {@code length} where the two differ, or -1. */
    private static long firstDifference(HostMemory a, HostMemory b, long length) {
        for (long offset = 0; offset < length; offset += 4096) {
            int n = (int) Math.min(4096, length - offset);
            ByteBuffer x = a.chunk(offset).slice(HostMemory.offsetInChunk(offset), n);
            ByteBuffer y = b.chunk(offset).slice(HostMemory.offsetInChunk(offset), n);
            int at = x.mismatch(y);
            if (at >= 0) {
                return offset + at;
            }
        }
        return -1;
    }
}
