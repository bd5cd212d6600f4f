package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.RoundStart;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(NoLeaks.class)
class FrameDecoderTest {

    private static final FrameLimits LIMITS = new FrameLimits(1 << 20, 256, 4096);
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final ControlMessage ROUND_START = ControlMessage.newBuilder()
            .setRoundStart(RoundStart.newBuilder().setRound(3).setPagesInRound(12)).build();

    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(LIMITS));
    private final List<ByteBuf> handedIn = new ArrayList<>();
    private final List<PageBatch> handedOut = new ArrayList<>();

    @AfterEach
    void everyBufferReleased() {
        channel.finishAndReleaseAll();
        for (ByteBuf buf : handedIn) {
            assertEquals(0, buf.refCnt(), "a buffer handed to the decoder was not released");
        }
        for (PageBatch batch : handedOut) {
            assertEquals(0, batch.refCnt(), "a page batch was not released");
        }
    }

    @Test
    void shouldDecodeAFrameDeliveredOneByteAtATime() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 1, true);
        deliverInChunks(run, 1);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDecodeAFrameSplitIntoOddChunks(PageSize size) {
        TestRun run = new TestRun(size, 12, 11, true);
        deliverInChunks(run, 1009);
    }

    private void deliverInChunks(TestRun run, int chunk) {
        ByteBuf frame = encode(EncoderConfig.defaults(), run);
        int length = frame.readableBytes();

        for (int i = 0; i < length; i += chunk) {
            assertNull(channel.readInbound(), "a batch came out before its last byte");
            channel.writeInbound(track(frame.retainedSlice(i, Math.min(chunk, length - i))));
        }
        frame.release();

        assertBatchEquals(run, take());
        assertFalse(channel.finish());
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDecodeZstdPagesAndTagSection(PageSize size) {
        TestRun run = new TestRun(size, 12, 2, true);
        EncoderConfig zstd = EncoderConfig.defaults().withPageCompression(Compression.zstd(1))
                .withTagSectionCompression(Compression.zstd(1));

        channel.writeInbound(track(encode(zstd, run)));

        assertBatchEquals(run, take());
        assertFalse(channel.finish());
    }

    @Test
    void shouldDecodeFromHeapBuffers() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 12, 3, false);
        EncoderConfig zstd = EncoderConfig.defaults().withPageCompression(Compression.zstd(3));
        PageBatchEncoder encoder = new PageBatchEncoder(zstd);
        ByteBuf frame = encoder.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, 3, 2, 1000, run.pages,
                run.size.bytes(), run.ram, run.ramOffset, run.tags, run.tagsOffset);
        encoder.close();

        channel.writeInbound(track(frame));

        assertBatchEquals(run, take());
    }

    @Test
    void shouldDecodeSeveralFramesInOneBuffer() {
        TestRun run = new TestRun(PageSize.SIZE_16K, 7, 4, true);
        CompositeByteBuf all = ALLOC.compositeBuffer();
        all.addComponent(true, ControlFrames.encode(ALLOC, ROUND_START, LIMITS));
        all.addComponent(true, encode(EncoderConfig.defaults(), run));
        all.addComponent(true, ControlFrames.encode(ALLOC, ROUND_START, LIMITS));

        channel.writeInbound(track(all));

        assertEquals(ROUND_START, channel.readInbound());
        assertBatchEquals(run, take());
        assertEquals(ROUND_START, channel.readInbound());
        assertFalse(channel.finish());
    }

    /**
     * Frames that lie whole inside one read are slices of it (a later change to the read shows through); the
     * one that straddles two reads is copied (it does not).
     */
    @Test
    void shouldSliceFramesOutOfTheirReadAndCopyOnlyTheOneThatStraddlesTwoReads() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 8, 21, true);
        ByteBuf frame = encode(EncoderConfig.defaults(), run);
        int length = frame.readableBytes();
        ByteBuf first = ALLOC.directBuffer(2 * length).writeBytes(frame, 0, length).writeBytes(frame, 0, length / 2);
        ByteBuf second = ALLOC.directBuffer(2 * length).writeBytes(frame, length / 2, length - length / 2)
                .writeBytes(frame, 0, length);
        frame.release();

        channel.writeInbound(track(first.retain()));
        channel.writeInbound(track(second.retain()));
        PageBatch inFirst = take();
        PageBatch straddling = take();
        PageBatch inSecond = take();
        first.setZero(0, first.capacity());
        second.setZero(0, second.capacity());
        first.release();
        second.release();

        assertTrue(java.util.stream.IntStream.range(0, run.pages).anyMatch(p -> !run.isZeroPage(p)),
                "the frames carry data to begin with");
        assertTrue(readsAsZeros(inFirst), "a frame inside one read is a slice of it");
        assertTrue(readsAsZeros(inSecond), "a frame inside one read is a slice of it");
        assertBatchEquals(run, straddling);
        assertFalse(channel.finish());
    }

    private static boolean readsAsZeros(PageBatch batch) {
        ByteBuffer page = ByteBuffer.allocate(batch.pageSize());
        try {
            for (int p = 0; p < batch.pageCount(); p++) {
                batch.copyPageData(p, page, 0, true);
                if (page.mismatch(ByteBuffer.allocate(batch.pageSize())) >= 0) {
                    return false;
                }
            }
            return true;
        } finally {
            batch.release();
        }
    }

    @Test
    void shouldRejectOversizedLengthBeforeTheBodyArrives() {
        ByteBuf prefix = ALLOC.buffer().writeIntLE(LIMITS.maxFrameBytes() + 1).writeByte(FrameLayout.TYPE_PAGE_BATCH)
                .writeByte(FrameLayout.VERSION).writeShortLE(0);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(prefix)));

        assertTrue(e.getMessage().contains("frame length " + (LIMITS.maxFrameBytes() + 1)), e.getMessage());
        assertEquals(0, e.frameIndex());
    }

    @Test
    void shouldRejectLengthBelowTheMinimum() {
        ByteBuf prefix = ALLOC.buffer().writeIntLE(11).writeByte(1).writeByte(1).writeShortLE(0).writeIntLE(0);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(prefix)));

        assertTrue(e.getMessage().contains("expected 12.."), e.getMessage());
    }

    @Test
    void shouldRejectCorruptCrcNamingTheFrame() {
        ByteBuf first = ControlFrames.encode(ALLOC, ROUND_START, LIMITS);
        int firstLength = first.readableBytes();
        ByteBuf second = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 5, true));
        second.setByte(100, second.getByte(100) ^ 0x10);
        channel.writeInbound(track(first));

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(second)));

        assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
        assertEquals(1, e.frameIndex());
        assertEquals(firstLength, e.streamOffset());
        assertEquals(ROUND_START, channel.readInbound());
        assertNull(channel.readInbound(), "nothing of the corrupt frame may come out");
    }

    @Test
    void shouldRejectUnknownFrameType() {
        ByteBuf frame = ControlFrames.encode(ALLOC, ROUND_START, LIMITS);
        frame.setByte(FrameLayout.TYPE_OFFSET, 9);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("unknown frame type 9"), e.getMessage());
    }

    @Test
    void shouldRejectWrongVersionNamingBothVersions() {
        ByteBuf frame = ControlFrames.encode(ALLOC, ROUND_START, LIMITS);
        frame.setByte(FrameLayout.VERSION_OFFSET, 1);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("frame format version 1, this decoder reads version 2 (the peer or file is"
                + " from an older mte-migrate)"), e.getMessage());
    }

    @Test
    void shouldRejectANewerVersionWithoutBlamingAnOlderPeer() {
        ByteBuf frame = ControlFrames.encode(ALLOC, ROUND_START, LIMITS);
        frame.setByte(FrameLayout.VERSION_OFFSET, 3);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().endsWith("frame format version 3, this decoder reads version 2"), e.getMessage());
    }

    @Test
    void shouldRejectTruncatedStreamAtTheEnd() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 6, true));
        int length = frame.readableBytes();
        channel.writeInbound(track(frame.readRetainedSlice(length - 1)));
        frame.release();

        FrameException e = assertThrows(FrameException.class, channel::finish);

        assertTrue(e.getMessage().contains("stream ended after " + (length - 1) + " bytes of a frame of " + length),
                e.getMessage());
    }

    @Test
    void shouldRejectMalformedPageFlagsEvenWithAValidCrc() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 7, true));
        frame.setByte(PageBatchLayout.PAGE_FLAGS_OFFSET + 1, 0x07);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("page 1 has data kind 7, expected 0, 1 or 2"), e.getMessage());
    }

    @Test
    void shouldRejectSectionLengthsThatDisagreeWithTheFrame() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 8, true));
        int length = frame.readableBytes();
        frame.setIntLE(PageBatchLayout.INLINE_LENGTH_OFFSET, length);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("sections of 3 flags, " + length + " inline data and 256 tag bytes need "
                + (length + 3 + 256 + 52) + " bytes before the payload, frame is " + length), e.getMessage());
    }

    @Test
    void shouldRejectInlineDataThatItsCompressedPagesDoNotUse() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 8, true));
        frame.setIntLE(PageBatchLayout.INLINE_LENGTH_OFFSET, 1);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("inline data holds 1 bytes, its compressed pages use 0"), e.getMessage());
    }

    @Test
    void shouldRejectAPayloadOtherThanTheRawPagesTheFlagsGive() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 8, true));
        int length = frame.readableBytes();
        int rawPage = PageBatchLayout.PAGE_FLAGS_OFFSET + 2; // pages 0 and 1 have zero data
        frame.setByte(rawPage, frame.getByte(rawPage) & ~PageBatchLayout.DATA_KIND_MASK | PageBatchLayout.DATA_ZERO);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("the flags give 0 raw pages, a payload of 0 bytes after the "
                + (length - 4096) + " checked ones, and the frame is " + length + " bytes"), e.getMessage());
    }

    /**
     * Format 2 leaves the payload outside the CRC: page data is checked end to end by the page
     * fingerprints, so a flipped payload bit decodes, and changes that page alone.
     */
    @Test
    void shouldDecodeAFlippedPayloadBitChangingOnlyThatPage() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 12, true);
        ByteBuf encoded = encode(EncoderConfig.defaults(), run);
        // A copy: the encoded payload is a view of the source's pages, which must stay as they were.
        ByteBuf frame = ALLOC.directBuffer(encoded.readableBytes()).writeBytes(encoded);
        encoded.release();
        int payloadStart = (int) TestFrames.checkedLength(frame);
        int firstRawPage = 2; // pages 0 and 1 have zero data
        frame.setByte(payloadStart + 17, frame.getByte(payloadStart + 17) ^ 0x04);

        channel.writeInbound(track(frame));

        PageBatch batch = take();
        try {
            ByteBuffer page = ByteBuffer.allocate(4096);
            for (int p = 0; p < run.pages; p++) {
                batch.copyPageData(p, page, 0, true);
                ByteBuffer sent = run.ram.slice(run.ramOffset + p * 4096, 4096);
                if (p == firstRawPage) {
                    assertEquals(17, page.mismatch(sent), "the flipped byte");
                    assertEquals(page.get(17) ^ 0x04, sent.get(17));
                    assertEquals(page.slice(18, 4096 - 18), sent.slice(18, 4096 - 18));
                } else {
                    assertEquals(sent, page, "page " + p);
                }
            }
        } finally {
            batch.release();
        }
    }

    @Test
    void shouldRejectPageCountAboveTheLimit() {
        ByteBuf frame = encode(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 9, true));
        frame.setIntLE(PageBatchLayout.PAGE_COUNT_OFFSET, LIMITS.maxPagesPerBatch() + 1);
        resealCrc(frame);

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(track(frame)));

        assertTrue(e.getMessage().contains("page count 257"), e.getMessage());
    }

    @Test
    void shouldDiscardEverythingAfterTheFirstBadFrame() {
        ByteBuf bad = ControlFrames.encode(ALLOC, ROUND_START, LIMITS);
        bad.setByte(FrameLayout.PREFIX_LENGTH, bad.getByte(FrameLayout.PREFIX_LENGTH) ^ 1);
        assertThrows(FrameException.class, () -> channel.writeInbound(track(bad)));

        channel.writeInbound(track(ControlFrames.encode(ALLOC, ROUND_START, LIMITS)));

        assertNull(channel.readInbound());
    }

    @Test
    void shouldCarryZeroDataWithTagsAsANonZeroPage() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 2, 10, true);
        channel.writeInbound(track(encode(EncoderConfig.defaults(), run)));

        PageBatch batch = take();
        try {
            assertTrue(batch.isZeroPage(0));
            assertTrue(batch.isDataZero(1));
            assertFalse(batch.isZeroPage(1), "zero data with tags is not a zero page");
        } finally {
            batch.release();
        }
    }

    @Test
    void shouldPassControlMessagesThroughTheEncoderPipeline() {
        EmbeddedChannel both = new EmbeddedChannel(new ControlMessageEncoder(LIMITS), new FrameDecoder(LIMITS));
        both.writeOutbound(ROUND_START);
        ByteBuf wire = both.readOutbound();

        both.writeInbound(track(wire));

        assertEquals(ROUND_START, both.readInbound());
        assertFalse(both.finish());
    }

    private ByteBuf encode(EncoderConfig config, TestRun run) {
        try (PageBatchEncoder encoder = new PageBatchEncoder(config)) {
            return encoder.encode(ALLOC, 3, 2, 1000, run.pages, run.size.bytes(), run.ram, run.ramOffset, run.tags,
                    run.tagsOffset);
        }
    }

    private ByteBuf track(ByteBuf buf) {
        handedIn.add(buf);
        return buf;
    }

    private PageBatch take() {
        PageBatch batch = assertInstanceOf(PageBatch.class, channel.readInbound());
        handedOut.add(batch);
        return batch;
    }

    private static void resealCrc(ByteBuf frame) {
        TestFrames.resealCrc(frame);
    }

    /** Applies the batch like a target would and compares with the source; releases the batch. */
    static void assertBatchEquals(TestRun run, PageBatch batch) {
        try {
            assertEquals(3, batch.slot());
            assertEquals(2, batch.round());
            assertEquals(1000, batch.firstPage());
            assertEquals(run.pages, batch.pageCount());
            assertEquals(run.size.bytes(), batch.pageSize());
            int pageBytes = run.size.bytes();
            ByteBuffer ram = ByteBuffer.allocateDirect(run.ramOffset + run.pages * pageBytes);
            // Garbage where zero pages go: zero fill must overwrite it.
            for (int i = 0; i < ram.capacity(); i++) {
                ram.put(i, (byte) 0x5A);
            }
            for (int p = 0; p < run.pages; p++) {
                assertEquals(run.isZeroPage(p), batch.isZeroPage(p), "page " + p);
                batch.copyPageData(p, ram, run.ramOffset + p * pageBytes, true);
            }
            ByteBuffer tags = ByteBuffer.allocate(run.tagsOffset + run.pages * run.size.granules());
            batch.decodeTags(tags, run.tagsOffset);

            assertEquals(0, ram.position());
            assertEquals(0, tags.position());
            assertEquals(run.ram.slice(run.ramOffset, run.pages * pageBytes), ram.slice(run.ramOffset, run.pages * pageBytes));
            assertEquals(run.tags.slice(run.tagsOffset, run.pages * run.size.granules()),
                    tags.slice(run.tagsOffset, run.pages * run.size.granules()));
        } finally {
            batch.release();
        }
    }
}
