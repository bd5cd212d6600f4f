package io.mtemigrate.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class RecyclingAllocatorTest {
    private static final int SLOT = 64 << 10;

    @Test
    void shouldHandOutTheMemoryOfAReleasedBufferAgainWithoutClearingIt() {
        try (RecyclingAllocator alloc = new RecyclingAllocator(SLOT, SLOT / 2, 4L * SLOT)) {
            ByteBuf first = alloc.directBuffer(SLOT - 100);
            first.writeLong(0x1122334455667788L);
            first.release();
            assertEquals(1, alloc.idleBuffers());

            ByteBuf second = alloc.directBuffer(SLOT / 2);
            try {
                assertEquals(0, second.readableBytes(), "a recycled buffer starts empty");
                assertEquals(SLOT, second.capacity());
                assertEquals(0x1122334455667788L, second.getLong(0), "the same memory, not a fresh zeroed block");
                assertEquals(0, alloc.idleBuffers());
            } finally {
                second.release();
            }
        }
    }

    @Test
    void shouldKeepNoMoreIdleMemoryThanItsLimit() {
        try (RecyclingAllocator alloc = new RecyclingAllocator(SLOT, SLOT, 3L * SLOT)) {
            List<ByteBuf> held = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                held.add(alloc.directBuffer(SLOT));
            }
            held.forEach(ByteBuf::release);
            assertEquals(3, alloc.idleBuffers());
        }
    }

    @Test
    void shouldLeaveOtherSizesToThePooledAllocator() {
        try (RecyclingAllocator alloc = new RecyclingAllocator(SLOT, SLOT / 2, 4L * SLOT)) {
            for (int size : new int[] {16, SLOT / 2 - 1, SLOT + 1}) {
                ByteBuf buffer = alloc.directBuffer(size);
                buffer.writeZero(size);
                buffer.release();
            }
            alloc.directBuffer(SLOT / 2, SLOT - 1).release(); // capped below a slot
            assertEquals(0, alloc.idleBuffers());
            alloc.directBuffer(SLOT).release();
            assertEquals(1, alloc.idleBuffers(), "only the slot-sized request was recycled");
            ByteBuf heap = alloc.heapBuffer(SLOT);
            assertTrue(heap.hasArray());
            heap.release();
        }
    }

    @Test
    void shouldGrowBeyondItsSlotWhenWrittenPastIt() {
        try (RecyclingAllocator alloc = new RecyclingAllocator(SLOT, SLOT / 2, 4L * SLOT)) {
            ByteBuf buffer = alloc.directBuffer(SLOT);
            byte[] bytes = new byte[SLOT + 1000];
            bytes[SLOT + 999] = 42;
            buffer.writeBytes(bytes);
            assertEquals(42, buffer.getByte(SLOT + 999));
            buffer.release();
            assertEquals(1, alloc.idleBuffers(), "the slot's memory came back after the buffer moved to a larger block");
        }
    }

    @Test
    void shouldFreeWhatComesBackAfterClose() {
        RecyclingAllocator alloc = new RecyclingAllocator(SLOT, SLOT / 2, 4L * SLOT);
        ByteBuf inFlight = alloc.directBuffer(SLOT);
        alloc.directBuffer(SLOT).release();
        assertEquals(1, alloc.idleBuffers());
        alloc.close();
        assertEquals(0, alloc.idleBuffers());
        inFlight.release();
        assertEquals(0, alloc.idleBuffers());
    }
}
