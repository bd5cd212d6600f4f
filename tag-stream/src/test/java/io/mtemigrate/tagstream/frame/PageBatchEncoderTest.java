package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class PageBatchEncoderTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void shouldLeaveTheCallersBuffersAsTheyWere() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 1, true);
        run.ram.position(17).limit(run.ram.capacity() - 1);
        run.tags.position(3);

        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            encoder.encode(ALLOC, 0, 0, 0, run.pages, 4096, run.ram, run.ramOffset, run.tags, run.tagsOffset).release();
        }

        assertEquals(17, run.ram.position());
        assertEquals(run.ram.capacity() - 1, run.ram.limit());
        assertEquals(3, run.tags.position());
    }

    @Test
    void shouldCountEveryByteOfTheFrame() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 12, 2, true);
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            ByteBuf frame = encoder.encode(ALLOC, 0, 0, 0, run.pages, 4096, run.ram, run.ramOffset, run.tags,
                    run.tagsOffset);
            BatchCounters c = encoder.lastBatch();

            assertEquals(frame.readableBytes(), c.frameBytes());
            assertEquals(c.frameBytes(), c.headerBytes() + c.pageDataBytes() + c.tagBytes());
            assertEquals(2, c.zeroPages());
            assertEquals(8 * 4096, c.pageDataBytes()); // pages 2, 3, 4, 5, 8, 9, 10, 11 are raw
            assertEquals(12, c.pages());
            frame.release();
        }
    }

    @Test
    void shouldCostOnlyAFlagPerZeroPage() {
        ByteBuffer ram = ByteBuffer.allocateDirect(64 * 4096);
        ByteBuffer tags = ByteBuffer.allocateDirect(64 * 256);
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            ByteBuf frame = encoder.encode(ALLOC, 0, 0, 0, 64, 4096, ram, 0, tags, 0);

            assertEquals(PageBatchLayout.HEADER_LENGTH + 64 + FrameLayout.CRC_LENGTH, frame.readableBytes());
            assertEquals(64, encoder.lastBatch().zeroPages());
            frame.release();
        }
    }

    @Test
    void shouldEncodeKnownZeroPagesAsOneFrameThatDecodesToZeroPages() {
        int pages = FrameLimits.DEFAULT.maxPagesPerBatch();
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            ByteBuf frame = encoder.encodeZeros(ALLOC, 3, 0, 1024, pages, 4096);
            assertEquals(PageBatchLayout.HEADER_LENGTH + pages + FrameLayout.CRC_LENGTH, frame.readableBytes());
            assertEquals(pages, encoder.lastBatch().zeroPages());
            assertEquals(frame.readableBytes(), encoder.lastBatch().frameBytes());

            EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULT));
            channel.writeInbound(frame);
            PageBatch batch = channel.readInbound();
            try {
                assertEquals(3, batch.slot());
                assertEquals(1024, batch.firstPage());
                assertEquals(pages, batch.pageCount());
                assertEquals(0, batch.pageDataBytes());
                assertEquals(0, batch.tagBytes());
                for (int i = 0; i < pages; i++) {
                    assertTrue(batch.isZeroPage(i), "page " + i);
                }
            } finally {
                batch.release();
                channel.finishAndReleaseAll();
            }
            assertThrows(IllegalArgumentException.class, () -> encoder.encodeZeros(ALLOC, 3, 0, 0, pages + 1, 4096));
        }
    }

    @Test
    void shouldRejectABatchThatCouldExceedTheFrameLimit() {
        FrameLimits small = new FrameLimits(64 * 1024, 1000, 1024);
        int fit = PageBatchEncoder.maxPagesPerFrame(PageSize.SIZE_4K, small);
        ByteBuffer ram = ByteBuffer.allocateDirect((fit + 1) * 4096);
        ByteBuffer tags = ByteBuffer.allocateDirect((fit + 1) * 256);
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults().withLimits(small))) {
            encoder.encode(ALLOC, 0, 0, 0, fit, 4096, ram, 0, tags, 0).release();

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.encode(ALLOC, 0, 0, 0, fit + 1, 4096, ram, 0, tags, 0));
            assertTrue(e.getMessage().contains("send at most " + fit + " pages"), e.getMessage());
        }
    }

    @Test
    void shouldRejectARunOutsideThePageBuffer() {
        ByteBuffer ram = ByteBuffer.allocateDirect(4 * 4096);
        ByteBuffer tags = ByteBuffer.allocateDirect(4 * 256);
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            assertThrows(IllegalArgumentException.class, () -> encoder.encode(ALLOC, 0, 0, 0, 4, 4096, ram, 1, tags, 0));
            assertThrows(IllegalArgumentException.class, () -> encoder.encode(ALLOC, 0, 0, 0, 4, 8192, ram, 0, tags, 0));
        }
    }
}
