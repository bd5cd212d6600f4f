package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.proto.RoundStart;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.tags.TagKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LandingReceiver} in an {@link EmbeddedChannel}, fed as a socket without the landing
 * allocator would (TLS): every payload byte arrives in an ordinary buffer and is copied to where
 * its {@link LandingReceiver.LandingSite} says. A landed batch is checked like a target applies
 * it: raw pages must already be in place, every other page untouched until the batch writes it.
 */
@ExtendWith(NoLeaks.class)
class LandingReceiverTest {

    private static final FrameLimits LIMITS = new FrameLimits(1 << 20, 256, 4096);
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
    private static final ControlMessage ROUND_START = ControlMessage.newBuilder()
            .setRoundStart(RoundStart.newBuilder().setRound(2).setPagesInRound(12)).build();
    private static final ControlMessage ROUND_END = ControlMessage.newBuilder()
            .setRoundEnd(RoundEnd.newBuilder().setRound(2).setPagesInRound(12)).build();
    private static final EncoderConfig ZSTD_PAGES = EncoderConfig.defaults().withPageCompression(Compression.zstd(1));
    /** What a site's memory holds before the receiver writes: a page it should not touch keeps it. */
    private static final byte GARBAGE = 0x5A;
    private static final MemorySegment GARBAGE_PAGE = Arena.global().allocate(PageSize.SIZE_64K.bytes()).fill(GARBAGE);

    private final Arena arena = Arena.ofConfined();
    private final Site site = new Site();
    private final List<PageBatch> handedOut = new ArrayList<>();
    private LandingReceiver receiver = new LandingReceiver(LIMITS, site);
    private EmbeddedChannel channel = new EmbeddedChannel(receiver);

    @AfterEach
    void everythingReleased() {
        channel.finishAndReleaseAll();
        for (PageBatch batch : handedOut) {
            assertEquals(0, batch.refCnt(), "a page batch was not released");
        }
        for (PageBatch batch : site.asked) {
            assertEquals(0, batch.refCnt(), "a batch shown to the landing site was not released");
        }
        arena.close();
    }

    // ------------------------------------------------------------------------------------ landing

    @Test
    void shouldLandTheSamePagesWhereverTheStreamIsSplitInTwo() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 4, 31, true); // zero, zero data with tags, raw, zstd
        byte[] stream = concat(control(ROUND_START), batch(ZSTD_PAGES, run), control(ROUND_END));
        site.reuse = true;

        // One receiver for all: it starts every copy of the stream at a frame boundary.
        for (int cut = 1; cut < stream.length; cut++) {
            write(stream, 0, cut);
            write(stream, cut, stream.length - cut);

            assertEquals(ROUND_START, channel.readInbound(), "split at " + cut);
            assertLanded(run, take(), site.last());
            assertEquals(ROUND_END, channel.readInbound(), "split at " + cut);
            assertNull(channel.readInbound());
            assertEquals(cut, site.asked.size());
            assertEquals(3L * cut, receiver.frameCount());
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldLandEveryRawPageFromRandomChunksWithControlFramesBetweenBatches(PageSize size) {
        TestRun plain = new TestRun(size, 9, 32, true);
        TestRun zstd = new TestRun(size, 12, 33, false);
        byte[] stream = concat(control(ROUND_START), batch(EncoderConfig.defaults(), plain), control(ROUND_END),
                control(ROUND_START), batch(ZSTD_PAGES.withTagSectionCompression(Compression.zstd(1)), zstd),
                batch(EncoderConfig.defaults(), plain), control(ROUND_END));
        Random random = new Random(size.bytes());

        for (int trial = 0; trial < 12; trial++) {
            fresh();
            // Byte by byte once (4 KiB pages: 64 KiB of payload), then small and large chunks, a few thousand at most.
            int maxChunk = trial == 0 && size == PageSize.SIZE_4K ? 1
                    : Math.max(stream.length / 2000, 1 + random.nextInt(trial < 6 ? 64 : 3 * size.bytes()));
            for (int at = 0; at < stream.length; ) {
                int n = Math.min(stream.length - at, 1 + random.nextInt(maxChunk));
                write(stream, at, n);
                at += n;
            }

            assertEquals(ROUND_START, channel.readInbound());
            assertLanded(plain, take(), site.memory(0));
            assertEquals(ROUND_END, channel.readInbound());
            assertEquals(ROUND_START, channel.readInbound());
            assertLanded(zstd, take(), site.memory(1));
            assertLanded(plain, take(), site.memory(2));
            assertEquals(ROUND_END, channel.readInbound());
            assertNull(channel.readInbound());
            assertEquals(7, receiver.frameCount());
        }
    }

    @Test
    void shouldLandRawPagesBetweenZeroAndCompressedOnesAtTheirOwnOffsets() {
        TestRun run = new TestRun(PageSize.SIZE_16K, 12, 34, true);
        byte[] frame = batch(ZSTD_PAGES, run);

        write(frame, 0, frame.length);

        PageBatch batch = take();
        List<Integer> kinds = new ArrayList<>();
        for (int p = 0; p < batch.pageCount(); p++) {
            kinds.add(batch.isDataZero(p) ? PageBatchLayout.DATA_ZERO
                    : batch.isDataRaw(p) ? PageBatchLayout.DATA_RAW : PageBatchLayout.DATA_ZSTD);
        }
        assertEquals(List.of(0, 0, 1, 2, 1, 1, 0, 0, 1, 2, 1, 1), kinds, "zero, raw and zstd pages interleaved");
        assertLanded(run, batch, site.last());
    }

    @Test
    void shouldCountEveryCopiedPayloadByte() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 12, 35, true);
        byte[] stream = concat(batch(EncoderConfig.defaults(), run), control(ROUND_END), batch(ZSTD_PAGES, run));

        write(stream, 0, 1000);
        write(stream, 1000, stream.length - 1000);

        assertLanded(run, take(), site.memory(0));
        assertEquals(ROUND_END, channel.readInbound());
        assertLanded(run, take(), site.memory(1));
        // Without compression pages 2-5 and 8-11 are raw; with it 3 and 9 are compressed.
        assertEquals((8 + 6) * 4096L, receiver.payloadBytesCopied());
        assertEquals(0, receiver.payloadBytesLanded(), "nothing read into the landing buffer");
    }

    @Test
    void shouldNeverAskTheSiteForABatchWithoutRawPages() {
        site.refuse = new AssertionError("the landing site was asked for a batch without raw pages");
        TestRun run = new TestRun(PageSize.SIZE_4K, 2, 36, true); // a zero page and a page of zero data with tags
        ByteBuf zeros;
        try (PageBatchEncoder encoder = new PageBatchEncoder(EncoderConfig.defaults())) {
            zeros = encoder.encodeZeros(ALLOC, 3, 2, 5000, 200, 4096);
        }
        byte[] stream = concat(batch(EncoderConfig.defaults(), run), bytesOf(zeros), control(ROUND_END));

        write(stream, 0, stream.length);

        assertLanded(run, take(), null);
        PageBatch zero = take();
        assertEquals(200, zero.pageCount());
        assertEquals(5000, zero.firstPage());
        assertEquals(0, zero.rawPages());
        zero.release();
        assertEquals(ROUND_END, channel.readInbound());
        assertTrue(site.asked.isEmpty());
    }

    /** The landing allocator's part, without a socket: the read fills the buffer the receiver hands out. */
    @Test
    void shouldHandOutTheSitesMemoryForTheNextReadWhileAPayloadIsDue() {
        TestRun run = new TestRun(PageSize.SIZE_64K, 6, 37, true);
        byte[] frame = batch(EncoderConfig.defaults(), run);
        int checked = checkedLength(frame);
        byte[] next = control(ROUND_END);

        ByteBuf bulk = receiver.nextReadBuffer(ALLOC);
        assertEquals(LandingReceiver.BULK_READ_BYTES, bulk.writableBytes(), "a bulk read before any frame");
        bulk.release();
        write(frame, 0, checked);
        int at = checked;
        while (at < frame.length) {
            ByteBuf read = receiver.nextReadBuffer(ALLOC);
            int n = Math.min(read.writableBytes(), 10_000 + at % 7);
            read.writeBytes(frame, at, n);
            at += n;
            channel.writeInbound(read);
        }
        ByteBuf header = receiver.nextReadBuffer(ALLOC);

        assertLanded(run, take(), site.last());
        assertEquals(4L * 65536, receiver.payloadBytesLanded());
        assertEquals(0, receiver.payloadBytesCopied());
        assertEquals(checked, header.writableBytes(),
                "after a large payload the next read takes the checked part of a batch like it, not its payload");
        channel.writeInbound(header.writeBytes(next));
        assertEquals(ROUND_END, channel.readInbound());
    }

    // ----------------------------------------------------------------------------- failure paths

    /** A peer's 8 bytes must not make the receiver reserve a whole frame's worth of memory (64 MiB by default). */
    @Test
    void shouldHoldOnlyAboutWhatArrivedOfAFrameWhosePrefixClaimsTheLimit() {
        UnpooledByteBufAllocator counting = new UnpooledByteBufAllocator(true);
        LandingReceiver large = new LandingReceiver(FrameLimits.DEFAULT, site);
        EmbeddedChannel limitChannel = new EmbeddedChannel(large);
        limitChannel.config().setAllocator(counting);
        byte[] prefix = prefix(FrameLimits.DEFAULT.maxFrameBytes(), FrameLayout.TYPE_CONTROL, FrameLayout.VERSION);

        limitChannel.writeInbound(counting.directBuffer(prefix.length).writeBytes(prefix));
        long held = counting.metric().usedDirectMemory();
        limitChannel.writeInbound(counting.directBuffer(1000).writeBytes(new byte[1000]));
        long heldAfterMore = counting.metric().usedDirectMemory();
        limitChannel.close();

        // A read's worth, rounded up by the allocator, is fine; the frame's claimed 64 MiB is not.
        assertTrue(held <= 256 << 10, held + " bytes held after the 8-byte prefix");
        assertTrue(heldAfterMore <= 256 << 10, heldAfterMore + " bytes held after 1008 bytes");
        assertEquals(0, counting.metric().usedDirectMemory(), "released on close");
    }

    /** Found by DecoderFuzzTest: a socket read into a buffer without room returns 0 bytes, and is tried again at once. */
    @Test
    void shouldHandOutARoomyReadBufferAfterRefusingTheHeaderThatFollowedALargePayload() {
        TestRun run = new TestRun(PageSize.SIZE_64K, 6, 42, true);
        byte[] frame = batch(EncoderConfig.defaults(), run);
        write(frame, 0, frame.length);
        assertLanded(run, take(), site.last());
        byte[] badHeader = Arrays.copyOf(frame, PageBatchLayout.HEADER_LENGTH);
        setIntLE(badHeader, PageBatchLayout.PAGE_COUNT_OFFSET, 0);
        ByteBuf header = receiver.nextReadBuffer(ALLOC);
        assertEquals(checkedLength(frame), header.writableBytes());

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(header.writeBytes(badHeader)));
        ByteBuf next = receiver.nextReadBuffer(ALLOC);

        assertTrue(e.getMessage().contains("page count 0, expected 1..256"), e.getMessage());
        assertTrue(next.writableBytes() > 0, "the read after the refusal has room to drain the socket");
        channel.writeInbound(next.writeBytes(control(ROUND_END)));
        assertNull(channel.readInbound(), "nothing after the refusal is decoded");
    }

    @Test
    void shouldStopTheStreamAndReleaseEverythingWhenTheSiteRefusesABatch() {
        site.refuse = new IllegalStateException("slot 3 is not in this VM");
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 38, true);
        byte[] stream = concat(control(ROUND_START), batch(EncoderConfig.defaults(), run), control(ROUND_END));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> write(stream, 0, stream.length));
        write(control(ROUND_END), 0, control(ROUND_END).length);

        assertSame(site.refuse, e);
        assertEquals(ROUND_START, channel.readInbound());
        assertNull(channel.readInbound(), "nothing after the refused batch is read");
        assertEquals(1, site.asked.size());
        assertEquals(0, site.asked.getFirst().refCnt(), "the refused batch is released");
    }

    @Test
    void shouldRefuseASiteThatGivesLessMemoryThanTheBatchSpans() {
        site.shortBy = 1;
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 39, true);
        byte[] frame = batch(EncoderConfig.defaults(), run);

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> write(frame, 0, frame.length));

        assertEquals("the landing site gave " + (6 * 4096 - 1) + " bytes for 6 pages", e.getMessage());
        assertEquals(0, site.asked.getFirst().refCnt());
        for (long at = 0; at < site.last().byteSize(); at += 4096) {
            assertTrue(untouched(site.last().asSlice(at, Math.min(4096, site.last().byteSize() - at))), "no byte landed");
        }
    }

    @Test
    void shouldReleaseTheBatchWhenTheChannelClosesMidPayload() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 40, true);
        byte[] frame = batch(EncoderConfig.defaults(), run);
        write(frame, 0, checkedLength(frame) + 5000);
        assertEquals(1, site.asked.size());
        PageBatch waiting = site.asked.getFirst();
        assertEquals(1, waiting.refCnt(), "the batch waits for its payload");

        channel.close();

        assertEquals(0, waiting.refCnt());
        assertNull(channel.readInbound(), "a batch without all its payload never comes out");
    }

    @Test
    void shouldReleaseAHalfReadCheckedPartWhenTheChannelCloses() {
        TestRun run = new TestRun(PageSize.SIZE_4K, 6, 41, true);
        byte[] frame = batch(EncoderConfig.defaults(), run);
        write(frame, 0, checkedLength(frame) - 1);

        channel.close();

        assertNull(channel.readInbound());
        assertTrue(site.asked.isEmpty());
        // NoLeaks fails the test if the buffered header and sections were dropped unreleased.
    }

    /** Every input FrameDecoder refuses, LandingReceiver refuses, with the same message, whole or byte by byte. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badStreams")
    void shouldRefuseWhatFrameDecoderRefusesWithTheSameMessage(String name, Supplier<byte[]> bad, String expected) {
        byte[] stream = bad.get();
        String decoderMessage = frameDecoderRefusal(stream);
        assertTrue(decoderMessage.contains(expected), decoderMessage);

        FrameException whole = assertThrows(FrameException.class, () -> write(stream, 0, stream.length));
        assertEquals(decoderMessage, whole.getMessage());
        write(control(ROUND_END), 0, control(ROUND_END).length);
        List<Object> out = drain();
        assertFalse(out.contains(ROUND_END), "nothing after the bad frame is read");
        release(out);

        fresh();
        FrameException byteByByte = null;
        for (int i = 0; i < stream.length; i++) {
            try {
                write(stream, i, 1);
            } catch (FrameException e) {
                assertNull(byteByByte, "one refusal, then silence");
                byteByByte = e;
            }
        }
        assertNotNull(byteByByte, "refused when fed byte by byte");
        assertEquals(decoderMessage, byteByByte.getMessage());
        release(drain());
    }

    static Stream<Arguments> badStreams() {
        return Stream.of(
                bad("length above the limit", () -> prefix(LIMITS.maxFrameBytes() + 1, FrameLayout.TYPE_PAGE_BATCH,
                        FrameLayout.VERSION), "frame length " + (LIMITS.maxFrameBytes() + 1)),
                bad("length below the minimum", () -> concat(prefix(11, FrameLayout.TYPE_CONTROL, FrameLayout.VERSION),
                        new byte[4]), "expected 12.."),
                bad("older version", () -> edited(control(ROUND_START), f -> f[FrameLayout.VERSION_OFFSET] = 1),
                        "frame format version 1, this decoder reads version 2"),
                bad("unknown type", () -> edited(control(ROUND_START), f -> f[FrameLayout.TYPE_OFFSET] = 9),
                        "unknown frame type 9"),
                bad("control CRC", () -> flipped(control(ROUND_START), FrameLayout.PREFIX_LENGTH), "CRC32C mismatch"),
                bad("control reserved bytes", () -> edited(control(ROUND_START),
                        f -> f[FrameLayout.RESERVED_OFFSET] = 1), "reserved prefix bytes are not zero"),
                bad("control not protobuf", () -> edited(control(ROUND_START),
                        f -> f[FrameLayout.PREFIX_LENGTH] = 0x0F), "does not hold a valid ControlMessage"),
                bad("batch CRC, naming the second frame", () -> concat(control(ROUND_START),
                        flipped(batch(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 5, true)), 100)),
                        "frame 1 at byte offset " + control(ROUND_START).length + ": CRC32C mismatch"),
                bad("batch shorter than its header", () -> concat(prefix(20, FrameLayout.TYPE_PAGE_BATCH,
                        FrameLayout.VERSION), new byte[12]), "page-batch frame of 20 bytes is shorter than its 48-byte"),
                bad("page count above the limit", () -> edited(plainBatch(), f -> setIntLE(f,
                        PageBatchLayout.PAGE_COUNT_OFFSET, LIMITS.maxPagesPerBatch() + 1)), "page count 257"),
                bad("sections beyond the frame", () -> edited(plainBatch(), f -> setIntLE(f,
                        PageBatchLayout.TAG_LENGTH_OFFSET, f.length)), "bytes before the payload, frame is"),
                bad("page size shift", () -> edited(plainBatch(), f -> f[PageBatchLayout.PAGE_SHIFT_OFFSET] = 13),
                        "page size shift"),
                bad("malformed page flags", () -> edited(plainBatch(), f -> f[PageBatchLayout.PAGE_FLAGS_OFFSET + 1] = 7),
                        "page 1 has data kind 7, expected 0, 1 or 2"),
                bad("inline data its pages do not use", () -> edited(plainBatch(), f -> setIntLE(f,
                        PageBatchLayout.INLINE_LENGTH_OFFSET, 1)), "inline data holds 1 bytes"),
                bad("payload other than the raw pages", () -> edited(plainBatch(),
                        f -> f[PageBatchLayout.PAGE_FLAGS_OFFSET + 2] &= ~PageBatchLayout.DATA_KIND_MASK),
                        "the flags give 0 raw pages"),
                bad("malformed tags", () -> edited(plainBatch(), f -> f[PageBatchLayout.PAGE_FLAGS_OFFSET]
                        |= (byte) (TagKind.PACKED.code() << PageBatchLayout.TAG_KIND_SHIFT)),
                        "tags of page 2 (PACKED) are malformed"));
    }

    private static Arguments bad(String name, Supplier<byte[]> stream, String expected) {
        return Arguments.of(name, stream, expected);
    }

    /** A 3-page batch: a zero page, zero data with tags, a raw page. */
    private static byte[] plainBatch() {
        return batch(EncoderConfig.defaults(), new TestRun(PageSize.SIZE_4K, 3, 8, true));
    }

    private static String frameDecoderRefusal(byte[] stream) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(LIMITS));
        try {
            decoder.writeInbound(ALLOC.buffer(stream.length).writeBytes(stream));
            decoder.finish();
            return fail("FrameDecoder accepted it");
        } catch (FrameException e) {
            return e.getMessage();
        } finally {
            decoder.finishAndReleaseAll();
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    /** A landing site that records what it was asked, and gives memory full of garbage. */
    private final class Site implements LandingReceiver.LandingSite {
        final List<PageBatch> asked = new ArrayList<>();
        final List<MemorySegment> given = new ArrayList<>();
        /** Thrown instead of giving memory. */
        Throwable refuse;
        long shortBy;
        /** One segment for every batch (a test that checks each batch before the next asks). */
        boolean reuse;
        private MemorySegment reusable;

        @Override
        public MemorySegment destinationOf(PageBatch batch) {
            asked.add(batch);
            switch (refuse) {
                case null -> { }
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IllegalStateException(refuse);
            }
            long bytes = (long) batch.pageCount() * batch.pageSize() - shortBy;
            MemorySegment memory = reuse && reusable != null && reusable.byteSize() == bytes ? reusable
                    : arena.allocate(bytes);
            if (reuse) {
                reusable = memory;
            }
            memory.fill(GARBAGE);
            given.add(memory);
            return memory;
        }

        MemorySegment memory(int i) {
            return given.get(i);
        }

        MemorySegment last() {
            return given.getLast();
        }
    }

    /** A new receiver and channel (the site stays); the old ones are finished first, and all they were given released. */
    private void fresh() {
        channel.finishAndReleaseAll();
        // Checked now rather than at the end: a test of thousands of streams must not hold all their batches.
        for (PageBatch batch : handedOut) {
            assertEquals(0, batch.refCnt(), "a page batch was not released");
        }
        handedOut.clear();
        for (PageBatch batch : site.asked) {
            assertEquals(0, batch.refCnt(), "a batch shown to the landing site was not released");
        }
        site.asked.clear();
        site.given.clear();
        receiver = new LandingReceiver(LIMITS, site);
        channel = new EmbeddedChannel(receiver);
    }

    /** Hands the receiver a buffer of those bytes, which it must have released when it returns or throws. */
    private void write(byte[] bytes, int from, int length) {
        ByteBuf buf = (from & 1) == 0 ? ALLOC.directBuffer(length) : ALLOC.heapBuffer(length);
        buf.writeBytes(bytes, from, length);
        try {
            channel.writeInbound(buf);
        } finally {
            assertEquals(0, buf.refCnt(), "a buffer handed to the receiver was not released");
        }
    }

    private PageBatch take() {
        PageBatch batch = assertInstanceOf(PageBatch.class, channel.readInbound());
        handedOut.add(batch);
        return batch;
    }

    private List<Object> drain() {
        List<Object> out = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            out.add(o);
        }
        return out;
    }

    private static void release(List<Object> out) {
        for (Object o : out) {
            if (o instanceof PageBatch batch) {
                batch.release();
            }
        }
    }

    /**
     * Checks a landed batch as a target applies it, then releases it: raw pages already hold the
     * source's data, no other page was touched, and after writing the others and the tags everything
     * equals the source. {@code memory} is null when the batch has no raw pages.
     */
    static void assertLanded(TestRun run, PageBatch batch, MemorySegment memory) {
        try {
            assertFalse(batch.hasPayload(), "the payload landed, it is not in the batch");
            assertEquals(3, batch.slot());
            assertEquals(2, batch.round());
            assertEquals(1000, batch.firstPage());
            assertEquals(run.pages, batch.pageCount());
            int size = run.size.bytes();
            assertEquals(size, batch.pageSize());
            MemorySegment source = MemorySegment.ofBuffer(run.ram).asSlice(run.ramOffset, (long) run.pages * size);
            MemorySegment target = memory != null ? memory
                    : Arena.ofAuto().allocate((long) run.pages * size).fill(GARBAGE);
            for (int p = 0; p < run.pages; p++) {
                MemorySegment page = target.asSlice((long) p * size, size);
                if (batch.isDataRaw(p)) {
                    assertEquals(-1, page.mismatch(source.asSlice((long) p * size, size)), "raw page " + p + " landed");
                } else {
                    assertTrue(untouched(page), "page " + p + " is not raw: the receiver must not write it");
                    batch.copyPageData(p, page.asByteBuffer(), 0, true);
                }
            }
            assertEquals(-1, target.mismatch(source), "the pages as applied");
            ByteBuffer tags = ByteBuffer.allocate(run.pages * run.size.granules());
            batch.decodeTags(tags, 0);
            assertEquals(run.tags.slice(run.tagsOffset, run.pages * run.size.granules()), tags);
        } finally {
            batch.release();
        }
    }

    private static boolean untouched(MemorySegment memory) {
        return memory.mismatch(GARBAGE_PAGE.asSlice(0, memory.byteSize())) == -1;
    }

    private static byte[] batch(EncoderConfig config, TestRun run) {
        try (PageBatchEncoder encoder = new PageBatchEncoder(config.withLimits(LIMITS))) {
            return bytesOf(encoder.encode(ALLOC, 3, 2, 1000, run.pages, run.size.bytes(), run.ram, run.ramOffset,
                    run.tags, run.tagsOffset));
        }
    }

    private static byte[] control(ControlMessage message) {
        return bytesOf(ControlFrames.encode(ALLOC, message, LIMITS));
    }

    private static byte[] bytesOf(ByteBuf buf) {
        try {
            return TestFrames.bytes(buf);
        } finally {
            buf.release();
        }
    }

    private static int checkedLength(byte[] frame) {
        return (int) TestFrames.checkedLength(frame);
    }

    private static byte[] prefix(int length, int type, int version) {
        byte[] p = new byte[FrameLayout.PREFIX_LENGTH];
        setIntLE(p, FrameLayout.LENGTH_OFFSET, length);
        p[FrameLayout.TYPE_OFFSET] = (byte) type;
        p[FrameLayout.VERSION_OFFSET] = (byte) version;
        return p;
    }

    /** The frame with {@code edit} applied to its header, sealed again where format 2 puts its CRC. */
    private static byte[] edited(byte[] frame, java.util.function.Consumer<byte[]> edit) {
        int checked = checkedLength(frame);
        edit.accept(frame);
        // The CRC stays where the unedited header put it when the edit moves the sections beyond the frame.
        long now = TestFrames.checkedLength(frame);
        TestFrames.seal(frame, now >= FrameLayout.MIN_FRAME_LENGTH && now <= frame.length ? (int) now : checked);
        return frame;
    }

    private static byte[] flipped(byte[] frame, int at) {
        frame[at] ^= 0x10;
        return frame;
    }

    private static void setIntLE(byte[] b, int at, int value) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (value >>> 8 * i);
        }
    }

    private static byte[] concat(byte[]... parts) {
        byte[] out = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
