package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import io.mtemigrate.proto.Ack;
import io.mtemigrate.proto.Auth;
import io.mtemigrate.proto.AuthMethod;
import io.mtemigrate.proto.Capabilities;
import io.mtemigrate.proto.Complete;
import io.mtemigrate.proto.CompressionCodec;
import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.Error;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.Hello;
import io.mtemigrate.proto.HelloAccept;
import io.mtemigrate.proto.Memslot;
import io.mtemigrate.proto.Ready;
import io.mtemigrate.proto.Release;
import io.mtemigrate.proto.Released;
import io.mtemigrate.proto.RoundEnd;
import io.mtemigrate.proto.RoundStart;
import io.mtemigrate.proto.TagEncoding;
import io.mtemigrate.proto.VcpuFeatures;
import io.mtemigrate.proto.VcpuState;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.tagstream.FrameException;
import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.NoLeaks;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.tags.SmallestTagEncoding;
import io.mtemigrate.tagstream.tags.TagKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ResourceLeakDetector;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Seeded random fuzzing of {@link FrameDecoder} (frames, control messages, page batches) through an
 * {@link EmbeddedChannel}, as a peer would feed it. Every input either decodes, and every decoded
 * {@link PageBatch} then applies (each page through {@link PageBatch#copyPageData} into a direct
 * scratch buffer, the tags through {@link PageBatch#decodeTags}; a {@link FrameException} there is
 * a refusal too), or is refused with a {@link FrameException} (possibly inside a
 * {@link DecoderException}). Nothing else may escape, no input may take long, every buffer is
 * released, and the decoder never asks the channel's allocator for more than
 * {@link FrameLimits#maxFrameBytes()} (the cumulator, which only holds bytes that really arrived, for
 * no more than twice what arrived).
 *
 * <p>Every input also goes through a {@link LandingReceiver} (a target's decoder), in the same
 * chunks or through the read buffers it hands out as a {@link LandingReadAllocator} would, its
 * payloads landing in a sparse mapped {@link LandingZone}. The two must agree: the same refusal of
 * the same frame, or the same frames, batches with the same fields and flags and a landed payload
 * equal to the decoded batch's raw pages. The one allowed difference is a stream that ends inside a
 * frame, which only FrameDecoder refuses as such. What the receiver asks the channel's allocator for
 * stays within {@link FrameLimits#maxFrameBytes()} and is released, and it writes nothing where a
 * page is not raw (checked for batches spanning up to 4 MiB).
 *
 * <p>Inputs, each at most 1 MiB, each derived from the base seed and its index alone: random byte
 * strings; random bodies sealed with a valid prefix and CRC; valid streams of frames built with
 * {@link PageBatchEncoder} and {@link ControlFrames}, delivered intact; the same frames, and
 * structurally generated page batches, with random mutations (bit flips, byte overwrites,
 * truncation, insertion, deletion, length and header field edits), most of them re-sealed with a
 * fresh CRC32C so that the structural checks behind the CRC get exercised. Every input is
 * delivered whole or in random chunks, against one of three sets of limits.
 *
 * <p>CI runs {@value #DEFAULT_INPUTS} inputs. The nightly-style run of a million, which prints the
 * same counts:
 *
 * <pre>
 * ./mvnj -B -o -pl tag-stream surefire:test -Dtest=DecoderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfuzz.inputs=1000000 [-Dfuzz.seed=12345]
 * </pre>
 *
 * A failure names the seed and the input's index; {@code -Dfuzz.seed=S -Dfuzz.only=I} replays
 * exactly that input.
 */
@ExtendWith(NoLeaks.class)
class DecoderFuzzTest {

    static final int DEFAULT_INPUTS = 50_000;
    private static final int PARANOID_INPUTS = 2_000;
    private static final long DEFAULT_SEED = 0x6d74652d66757a7aL;
    private static final int MAX_INPUT_BYTES = 1 << 20;

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    /** Like FrameDecoderTest's. */
    private static final FrameLimits SMALL = new FrameLimits(1 << 20, 256, 4096);
    /** Small frames, many pages: a batch's decompressed tags could outgrow its frame. */
    private static final FrameLimits TIGHT = new FrameLimits(64 << 10, 2048, 512);
    private static final List<FrameLimits> ALL_LIMITS = List.of(SMALL, FrameLimits.DEFAULT, TIGHT);

    private static final int[] INTERESTING_U32 = {0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 47, 48, 49, 0x7F, 0x80, 0xFF, 0x100,
        0xFFF, 0x1000, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0xFFFFF, 0x100000, 0x100001, 0x7FFFFFFF, 0x80000000,
        0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 64 << 20, (64 << 20) + 1, 16_384, 16_385, 256, 257, 2048, 2049};
    private static final int[] INTERESTING_U8 = {0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 14, 15, 16, 17, 0x3F, 0x40, 0x7F,
        0x80, 0xC0, 0xFE, 0xFF};

    enum Category {
        RANDOM_BYTES, SEALED_RANDOM_BODY, VALID_STREAM, MUTATED_BATCH, MUTATED_CONTROL, MUTATED_SYNTHETIC_BATCH,
        MUTATED_STREAM
    }

    @Test
    void shouldRefuseOrDecodeEveryInput() {
        int inputs = Integer.getInteger("fuzz.inputs", DEFAULT_INPUTS);
        long seed = Long.getLong("fuzz.seed", DEFAULT_SEED);
        Integer only = Integer.getInteger("fuzz.only");
        // Paranoid tracking records a stack per buffer: the volume run samples, and checks every buffer itself.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        try {
            Stats stats = assertTimeoutPreemptively(Duration.ofSeconds(120 + inputs / 500),
                    () -> runFuzzer(seed, only == null ? 0 : only, only == null ? inputs : only + 1));
            stats.print("volume run, seed " + seed);
            if (only == null && inputs >= 10_000) {
                assertReachedTheChecksBehindTheCrc(stats);
            }
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    @Test
    void shouldRefuseOrDecodeEveryInputWithParanoidLeakDetection() {
        long seed = Long.getLong("fuzz.seed", DEFAULT_SEED) ^ 0x5DEECE66DL;
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
        Stats stats = assertTimeoutPreemptively(Duration.ofSeconds(120),
                () -> runFuzzer(seed, 0, PARANOID_INPUTS));
        stats.print("paranoid run, seed " + seed);
        assertEquals(PARANOID_INPUTS, stats.inputs);
    }

    /**
     * Found by this fuzzer: the raw length of a zstd tag section was checked only against page count
     * x packed tag bytes, so under limits with many pages per batch and small frames a frame of a
     * few KiB made the decoder allocate far more than a whole frame before decompressing anything.
     */
    @Test
    void shouldRefuseATagSectionThatWouldDecompressBeyondTheFrameLimitBeforeAllocatingIt() {
        int pages = 1024; // zero data, packed zero tags: 128 KiB of tags in a frame of about 1 KiB
        byte[] wireTags = Zstd.compress(new byte[pages * PageSize.SIZE_4K.packedTagBytes()], 1);
        int length = PageBatchLayout.HEADER_LENGTH + pages + wireTags.length + FrameLayout.CRC_LENGTH;
        byte[] f = new byte[length];
        setLE(f, FrameLayout.LENGTH_OFFSET, 4, length);
        f[FrameLayout.TYPE_OFFSET] = FrameLayout.TYPE_PAGE_BATCH;
        f[FrameLayout.VERSION_OFFSET] = FrameLayout.VERSION;
        setLE(f, PageBatchLayout.PAGE_COUNT_OFFSET, 4, pages);
        f[PageBatchLayout.PAGE_SHIFT_OFFSET] = (byte) PageSize.SIZE_4K.shift();
        f[PageBatchLayout.BATCH_FLAGS_OFFSET] = PageBatchLayout.BATCH_TAGS_ZSTD;
        setLE(f, PageBatchLayout.TAG_LENGTH_OFFSET, 4, wireTags.length);
        setLE(f, PageBatchLayout.TAG_RAW_LENGTH_OFFSET, 4, pages * PageSize.SIZE_4K.packedTagBytes());
        Arrays.fill(f, PageBatchLayout.PAGE_FLAGS_OFFSET, PageBatchLayout.PAGE_FLAGS_OFFSET + pages,
                (byte) (TagKind.PACKED.code() << PageBatchLayout.TAG_KIND_SHIFT));
        System.arraycopy(wireTags, 0, f, PageBatchLayout.HEADER_LENGTH + pages, wireTags.length);
        TestFrames.seal(f, length); // no raw pages: the frame ends with its CRC

        WatchingAllocator allocator = new WatchingAllocator();
        allocator.start(TIGHT);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(TIGHT));
        channel.config().setAllocator(allocator);
        ByteBuf in = ALLOC.directBuffer(length).writeBytes(f);
        allocator.delivered = length;

        FrameException e = assertThrows(FrameException.class, () -> channel.writeInbound(in));

        assertTrue(e.getMessage().contains("tag section of 131072 bytes before compression, expected at most 65536"),
                e.getMessage());
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, in.refCnt());
        allocator.checkFinished();

        allocator.start(TIGHT);
        EmbeddedChannel landing = new EmbeddedChannel(new LandingReceiver(TIGHT, batch -> {
            throw new AssertionError("a batch without raw pages never asks for memory");
        }));
        landing.config().setAllocator(allocator);
        ByteBuf again = ALLOC.directBuffer(length).writeBytes(f);

        FrameException landingRefusal = assertThrows(FrameException.class, () -> landing.writeInbound(again));

        assertEquals(e.getMessage(), landingRefusal.getMessage());
        assertFalse(landing.finishAndReleaseAll());
        assertEquals(0, again.refCnt());
        allocator.checkFinished();
    }

    private static Stats runFuzzer(long seed, int from, int to) throws IOException {
        try (Fuzzer fuzzer = new Fuzzer(seed)) {
            return fuzzer.run(from, to);
        }
    }

    /** The fuzzer is only worth something if mutated, re-sealed frames get past the CRC to the structure. */
    private static void assertReachedTheChecksBehindTheCrc(Stats stats) {
        for (String reason : List.of("CRC32C mismatch", "frame length out of range", "section lengths vs frame length",
                "payload vs raw pages", "inline data length",
                "page flags", "tags of a page malformed", "control message not protobuf", "page count out of range",
                "page size shift", "truncated stream", "zstd page corrupt (on apply)", "zstd tag section corrupt",
                "tag section length")) {
            assertTrue(stats.refusals.getOrDefault(reason, 0L) > 0, "no input was refused for " + reason + ": "
                    + stats.refusals);
        }
        for (Category category : Category.values()) {
            assertTrue(stats.byCategory.getOrDefault(category, 0L) > 0, "no input of " + category);
        }
        assertTrue(stats.batchesDecoded > 0 && stats.controlsDecoded > 0, "nothing decoded");
        assertTrue(stats.batchesLanded > 0 && stats.payloadBytesCompared > 0, "nothing landed");
        assertTrue(stats.landedThroughReads > 0, "no input landed through the read buffers the receiver hands out");
        assertTrue(stats.truncatedLandingRefused > 0 && stats.truncatedLandingWaiting > 0,
                "truncated streams: refused by the landing receiver " + stats.truncatedLandingRefused + ", waited on "
                        + stats.truncatedLandingWaiting);
    }

    // ------------------------------------------------------------------------------------------------
    // The fuzzer
    // ------------------------------------------------------------------------------------------------

    /** One input: its bytes and, for the frames that must come out intact, what they hold. */
    private record Input(Category category, FrameLimits limits, byte[] bytes, List<Object> intactPrefix,
                         boolean mustDecode, String description) {
    }

    /** A valid frame and what it decodes to (a ControlMessage or a SourceBatch). */
    private record Frame(byte[] bytes, Object expected) {
    }

    /** What a page-batch frame was encoded from. */
    private record SourceBatch(PageSize size, int pages, int slot, long round, long firstPage, byte[] ram,
                               byte[] tags) {
    }

    static final class Stats {
        long inputs;
        long decoded;
        long refused;
        long controlsDecoded;
        long batchesDecoded;
        long batchesApplied;
        long pagesApplied;
        long chunkedDeliveries;
        long bytes;
        long maxDecoderRequest;
        long maxCumulatorRequest;
        long maxInputNanos;
        long batchesLanded;
        long payloadBytesCompared;
        long landedThroughReads;
        long truncatedLandingRefused;
        long truncatedLandingWaiting;
        long nanos;
        final Map<Category, Long> byCategory = new TreeMap<>();
        final Map<Category, Long> decodedByCategory = new TreeMap<>();
        final Map<String, Long> refusals = new TreeMap<>();

        void print(String title) {
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "DecoderFuzzTest %s: %d inputs (%d MiB) in %.1f s, slowest %.1f ms%n",
                    title, inputs, bytes >> 20, nanos / 1e9, maxInputNanos / 1e6));
            out.append(String.format(Locale.ROOT, "  decoded %d, refused %d; frames decoded: %d control, %d page batch"
                            + " (%d applied, %d pages); %d inputs delivered in chunks%n", decoded, refused,
                    controlsDecoded, batchesDecoded, batchesApplied, pagesApplied, chunkedDeliveries));
            out.append(String.format(Locale.ROOT, "  largest allocation asked by the decoder %d bytes, by the"
                    + " cumulator %d bytes%n", maxDecoderRequest, maxCumulatorRequest));
            out.append(String.format(Locale.ROOT, "  landing receiver agreed on every input: %d batches landed, %d payload"
                            + " bytes compared, %d inputs through its read buffers; of the truncated streams it refused"
                            + " %d at the same frame, waited on %d%n", batchesLanded, payloadBytesCompared,
                    landedThroughReads, truncatedLandingRefused, truncatedLandingWaiting));
            out.append("  inputs by category (decoded):\n");
            byCategory.forEach((c, n) -> out.append(String.format(Locale.ROOT, "    %-26s %9d (%d)%n", c, n,
                    decodedByCategory.getOrDefault(c, 0L))));
            out.append("  refusals by reason:\n");
            refusals.forEach((r, n) -> out.append(String.format(Locale.ROOT, "    %-40s %9d%n", r, n)));
            System.out.print(out);
        }
    }

    static final class Fuzzer implements AutoCloseable {

        private final long seed;
        private final Map<FrameLimits, List<Frame>> pools = new java.util.HashMap<>();
        private final WatchingAllocator allocator = new WatchingAllocator();
        private final ByteBuffer pageScratch = ByteBuffer.allocateDirect(PageSize.SIZE_64K.bytes());
        private ByteBuffer tagScratch = ByteBuffer.allocate(1 << 16);
        private final Stats stats = new Stats();
        private final WatchingAllocator landingAllocator = new WatchingAllocator();
        private final LandingZone zone;

        Fuzzer(long seed) throws IOException {
            this.zone = new LandingZone(ALL_LIMITS);
            this.seed = seed;
            SplittableRandom random = new SplittableRandom(seed);
            for (FrameLimits limits : ALL_LIMITS) {
                List<Frame> pool = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    pool.add(encodedBatch(random, limits));
                }
                pools.put(limits, pool);
            }
        }

        Stats run(int from, int to) {
            long start = System.nanoTime();
            for (int i = from; i < to; i++) {
                SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
                Input input = generate(random);
                long t0 = System.nanoTime();
                try {
                    feed(random, input);
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("input " + i + " of seed " + seed + " (replay: -Dfuzz.seed=" + seed
                            + " -Dfuzz.only=" + i + "): " + input.description() + ", " + input.bytes().length
                            + " bytes, limits " + input.limits() + ": " + e, e);
                }
                long took = System.nanoTime() - t0;
                stats.maxInputNanos = Math.max(stats.maxInputNanos, took);
                if (took > 5_000_000_000L) {
                    fail("input " + i + " of seed " + seed + " took " + took / 1_000_000 + " ms: "
                            + input.description());
                }
                stats.inputs++;
                stats.bytes += input.bytes().length;
                stats.byCategory.merge(input.category(), 1L, Long::sum);
            }
            stats.nanos = System.nanoTime() - start;
            stats.maxDecoderRequest = allocator.maxDecoderRequest;
            stats.maxCumulatorRequest = allocator.maxCumulatorRequest;
            return stats;
        }

        // ---------------------------------------------------------------------------- feeding

        private void feed(SplittableRandom random, Input input) {
            byte[] bytes = input.bytes();
            FrameLimits limits = input.limits();
            FrameDecoder decoder = new FrameDecoder(limits);
            if (random.nextInt(10) == 0) {
                decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
            }
            EmbeddedChannel channel = new EmbeddedChannel(decoder);
            channel.config().setAllocator(allocator);
            allocator.start(limits);

            List<ByteBuf> handedIn = new ArrayList<>();
            List<Object> decoded = new ArrayList<>();
            FrameException refusal = null;
            try {
                int[] cuts = cuts(random, bytes.length);
                if (cuts.length > 2) {
                    stats.chunkedDeliveries++;
                }
                for (int c = 0; c + 1 < cuts.length; c++) {
                    ByteBuf chunk = chunk(random, bytes, cuts[c], cuts[c + 1] - cuts[c]);
                    handedIn.add(chunk);
                    allocator.delivered += chunk.readableBytes();
                    try {
                        channel.writeInbound(chunk);
                    } catch (RuntimeException e) {
                        if (refusal != null) {
                            throw new AssertionError("a second exception after the refusal " + refusal, e);
                        }
                        refusal = refusal(e);
                    }
                    drain(channel, decoded, limits);
                }
                try {
                    channel.finish();
                } catch (RuntimeException e) {
                    if (refusal != null) {
                        throw new AssertionError("a second exception after the refusal " + refusal, e);
                    }
                    refusal = refusal(e);
                }
                drain(channel, decoded, limits);
                agree(decoded, refusal, land(random, input, cuts));
                // After agree: the landed batches hold the checked parts the receiver allocated.
                landingAllocator.checkFinished();
                applyAndCount(input, decoded, refusal);
            } finally {
                channel.finishAndReleaseAll();
                for (Object o : decoded) {
                    if (o instanceof PageBatch batch && batch.refCnt() > 0) {
                        batch.release();
                    }
                }
            }
            allocator.checkFinished();
            for (ByteBuf buf : handedIn) {
                assertEquals(0, buf.refCnt(), "a buffer handed to the decoder was not released");
            }
        }

        @Override
        public void close() {
            zone.close();
        }

        /**
         * The same input through a {@link LandingReceiver}: in the chunks the decoder got, or (as
         * through a {@link LandingReadAllocator}) into the read buffers the receiver hands out, landed
         * payloads included. Returns what came out, each batch with a copy of its landed payload.
         */
        private Landing land(SplittableRandom random, Input input, int[] cuts) {
            byte[] bytes = input.bytes();
            LandingReceiver receiver = new LandingReceiver(input.limits(), zone);
            EmbeddedChannel channel = new EmbeddedChannel(receiver, zone.new Snapshots());
            channel.config().setAllocator(landingAllocator);
            landingAllocator.start(input.limits());
            List<Object> out = new ArrayList<>();
            FrameException refusal = null;
            boolean done = false;
            try {
                if (random.nextBoolean()) {
                    stats.landedThroughReads++;
                    for (int at = 0; at < bytes.length; ) {
                        ByteBuf read = receiver.nextReadBuffer(landingAllocator);
                        if (read.writableBytes() == 0) {
                            read.release();
                            fail("a read buffer without room: a socket read would return 0 bytes and try again for ever");
                        }
                        int n = Math.min(read.writableBytes(), bytes.length - at);
                        if (random.nextInt(3) == 0) {
                            n = 1 + random.nextInt(n); // a read returns what the socket has
                        }
                        read.writeBytes(bytes, at, n);
                        at += n;
                        refusal = deliver(channel, read, refusal);
                        drainLanded(channel, out);
                    }
                } else {
                    for (int c = 0; c + 1 < cuts.length; c++) {
                        int length = cuts[c + 1] - cuts[c];
                        ByteBuf chunk = (c & 1) == 0 ? ALLOC.directBuffer(length) : ALLOC.heapBuffer(length);
                        refusal = deliver(channel, chunk.writeBytes(bytes, cuts[c], length), refusal);
                        drainLanded(channel, out);
                    }
                }
                try {
                    channel.finish();
                } catch (RuntimeException e) {
                    throw new AssertionError("the landing receiver failed on close", e);
                }
                drainLanded(channel, out);
                done = true;
            } finally {
                channel.finishAndReleaseAll();
                zone.clean();
                if (!done) {
                    releaseLanded(out);
                }
            }
            return new Landing(out, refusal);
        }

        private static FrameException deliver(EmbeddedChannel channel, ByteBuf buf, FrameException refusal) {
            try {
                channel.writeInbound(buf);
                return refusal;
            } catch (RuntimeException e) {
                if (refusal != null) {
                    throw new AssertionError("a second exception after the refusal " + refusal, e);
                }
                return refusal(e);
            } finally {
                assertEquals(0, buf.refCnt(), "a buffer handed to the landing receiver was not released");
            }
        }

        private static void drainLanded(EmbeddedChannel channel, List<Object> out) {
            for (Object o; (o = channel.readInbound()) != null; ) {
                out.add(o);
            }
        }

        private static void releaseLanded(List<Object> out) {
            for (Object o : out) {
                if (o instanceof Landed landed && landed.batch().refCnt() > 0) {
                    landed.batch().release();
                }
            }
        }

        /**
         * Both decoders refuse, at the same frame and with the same message, or both put out the same
         * frames. The one difference allowed: a stream that ends inside a frame, which FrameDecoder
         * refuses at its end, while the landing receiver has either refused that frame's checked part
         * already or still waits for its rest (a closed channel is its owner's business). Releases the
         * landed batches, not the decoded ones.
         */
        private void agree(List<Object> decoded, FrameException refusal, Landing landing) {
            try {
                FrameException landingRefusal = landing.refusal();
                if (refusal == null && landingRefusal != null) {
                    throw new AssertionError("only the landing receiver refused", landingRefusal);
                }
                if (refusal != null) {
                    boolean truncated = refusal.getMessage().contains("stream ended after");
                    if (landingRefusal == null) {
                        if (!truncated) {
                            throw new AssertionError("only FrameDecoder refused", refusal);
                        }
                        stats.truncatedLandingWaiting++;
                    } else {
                        assertEquals(refusal.frameIndex(), landingRefusal.frameIndex(), "refused frame");
                        assertEquals(refusal.streamOffset(), landingRefusal.streamOffset(), "refused frame's offset");
                        if (truncated) {
                            stats.truncatedLandingRefused++;
                        } else {
                            assertEquals(refusal.getMessage(), landingRefusal.getMessage(), "refusal");
                        }
                    }
                }
                List<Object> landed = landing.out();
                assertEquals(decoded.size(), landed.size(), "frames out of FrameDecoder and out of the landing receiver");
                for (int k = 0; k < decoded.size(); k++) {
                    Object o = decoded.get(k);
                    if (o instanceof PageBatch batch) {
                        sameBatch(batch, assertInstanceOf(Landed.class, landed.get(k), "frame " + k), k);
                    } else {
                        assertEquals(o, landed.get(k), "frame " + k);
                    }
                }
            } finally {
                releaseLanded(landing.out());
            }
        }

        private void sameBatch(PageBatch decoded, Landed landed, int k) {
            PageBatch batch = landed.batch();
            String frame = "batch " + k + ": ";
            assertTrue(decoded.hasPayload());
            assertFalse(batch.hasPayload(), frame + "a landed batch without its payload");
            assertEquals(decoded.slot(), batch.slot(), frame + "slot");
            assertEquals(decoded.round(), batch.round(), frame + "round");
            assertEquals(decoded.firstPage(), batch.firstPage(), frame + "first page");
            assertEquals(decoded.pageCount(), batch.pageCount(), frame + "page count");
            assertEquals(decoded.pageSize(), batch.pageSize(), frame + "page size");
            assertEquals(decoded.frameBytes(), batch.frameBytes(), frame + "frame bytes");
            assertEquals(decoded.pageDataBytes(), batch.pageDataBytes(), frame + "page data bytes");
            assertEquals(decoded.tagBytes(), batch.tagBytes(), frame + "tag bytes");
            int size = decoded.pageSize();
            MemorySegment payload = MemorySegment.ofArray(landed.payload());
            MemorySegment page = MemorySegment.ofBuffer(pageScratch).asSlice(0, size);
            long raw = 0;
            for (int p = 0; p < decoded.pageCount(); p++) {
                if (decoded.isDataRaw(p) != batch.isDataRaw(p) || decoded.isDataZero(p) != batch.isDataZero(p)
                        || decoded.tagKind(p) != batch.tagKind(p)) {
                    fail(frame + "page " + p + " has other flags");
                }
                if (decoded.isDataRaw(p)) {
                    decoded.copyPageData(p, pageScratch, 0, true);
                    if (page.mismatch(payload.asSlice(raw * size, size)) >= 0) {
                        fail(frame + "raw page " + p + " landed other bytes than FrameDecoder's batch holds");
                    }
                    raw++;
                }
            }
            assertEquals(raw * size, payload.byteSize(), frame + "landed payload");
            stats.batchesLanded++;
            stats.payloadBytesCompared += payload.byteSize();
        }

        /** Applies what came out (whatever fails to apply must fail with a FrameException) and counts. */
        private void applyAndCount(Input input, List<Object> decoded, FrameException refusal) {
            FrameException applyRefusal = null;
            int checkUpTo = input.mustDecode() ? decoded.size() : Math.min(decoded.size(), input.intactPrefix().size());
            if (input.mustDecode() && refusal != null) {
                throw new AssertionError("a valid stream was refused", refusal);
            }
            if (input.mustDecode()) {
                assertEquals(input.intactPrefix().size(), decoded.size(), "frames decoded from a valid stream");
            } else if (decoded.size() < input.intactPrefix().size()) {
                throw new AssertionError("only " + decoded.size() + " of the " + input.intactPrefix().size()
                        + " intact frames in front of the damage came out", refusal);
            }
            for (int k = 0; k < decoded.size(); k++) {
                Object o = decoded.get(k);
                Object expected = k < checkUpTo ? input.intactPrefix().get(k) : null;
                if (o instanceof ControlMessage message) {
                    stats.controlsDecoded++;
                    if (expected != null) {
                        assertEquals(expected, message, "control frame " + k);
                    }
                } else if (o instanceof PageBatch batch) {
                    stats.batchesDecoded++;
                    try {
                        apply(batch, (SourceBatch) expected);
                        stats.batchesApplied++;
                    } catch (FrameException e) {
                        if (expected != null) {
                            throw new AssertionError("an intact batch failed to apply", e);
                        }
                        if (applyRefusal == null) {
                            applyRefusal = e;
                        }
                    }
                } else {
                    fail("the decoder put out a " + o.getClass().getName());
                }
            }
            for (Object o : decoded) {
                if (o instanceof PageBatch batch) {
                    assertEquals(0, batch.refCnt(), "a page batch was not released");
                }
            }
            FrameException first = refusal != null ? refusal : applyRefusal;
            if (first == null) {
                stats.decoded++;
                stats.decodedByCategory.merge(input.category(), 1L, Long::sum);
            } else {
                stats.refused++;
                stats.refusals.merge(reason(first, first == applyRefusal), 1L, Long::sum);
            }
        }

        private void drain(EmbeddedChannel channel, List<Object> decoded, FrameLimits limits) {
            for (Object o; (o = channel.readInbound()) != null; ) {
                decoded.add(o);
                if (o instanceof ControlMessage message) {
                    // Re-serialized it may differ from the wire bytes, never by a lot.
                    assertTrue(message.getSerializedSize() <= 2 * limits.maxControlBytes(),
                            "a control message beyond the limit came out");
                }
            }
        }

        private static FrameException refusal(RuntimeException e) {
            if (e instanceof FrameException frameException) {
                return frameException;
            }
            if (e instanceof DecoderException && e.getCause() instanceof FrameException frameException) {
                return frameException;
            }
            throw new AssertionError("the decoder let escape " + e, e);
        }

        /** Applies a decoded batch like a target; compares with the source when it is known. Releases it. */
        private void apply(PageBatch batch, SourceBatch source) {
            try {
                int pageBytes = batch.pageSize();
                long tagBytes = (long) batch.pageCount() * (pageBytes / PageSize.GRANULE_SIZE);
                assertTrue(batch.pageCount() >= 1 && tagBytes <= 64L << 20, "batch of " + batch.pageCount() + " pages");
                if (source != null) {
                    assertEquals(source.slot(), batch.slot());
                    assertEquals(source.round(), batch.round());
                    assertEquals(source.firstPage(), batch.firstPage());
                    assertEquals(source.pages(), batch.pageCount());
                    assertEquals(source.size().bytes(), pageBytes);
                }
                byte[] page = source != null ? new byte[pageBytes] : null;
                for (int p = 0; p < batch.pageCount(); p++) {
                    batch.copyPageData(p, pageScratch, 0, true);
                    stats.pagesApplied++;
                    if (source != null) {
                        pageScratch.get(0, page, 0, pageBytes);
                        if (!Arrays.equals(source.ram(), p * pageBytes, (p + 1) * pageBytes, page, 0, pageBytes)) {
                            fail("page " + p + " of an intact batch differs from its source");
                        }
                    }
                }
                if (tagScratch.capacity() < tagBytes) {
                    tagScratch = ByteBuffer.allocate((int) tagBytes);
                }
                batch.decodeTags(tagScratch, 0);
                if (source != null) {
                    byte[] tags = new byte[(int) tagBytes];
                    tagScratch.get(0, tags);
                    assertArrayEquals(source.tags(), tags, "tags of an intact batch");
                }
            } finally {
                batch.release();
            }
        }

        /** Cut points from 0 to length: whole, random cuts, or tiny chunks. */
        private static int[] cuts(SplittableRandom random, int length) {
            int mode = random.nextInt(100);
            if (length == 0 || mode < 45) {
                return new int[] {0, length};
            }
            if (mode < 85 || length > 16_384) {
                int n = 1 + random.nextInt(Math.min(16, length));
                int[] cuts = new int[n + 2];
                for (int i = 1; i <= n; i++) {
                    // Often right around the 8-byte prefix or the 48-byte batch header.
                    cuts[i] = random.nextInt(4) == 0 ? Math.min(length, random.nextInt(56)) : random.nextInt(length + 1);
                }
                cuts[n + 1] = length;
                Arrays.sort(cuts);
                return cuts;
            }
            int size = 1 + random.nextInt(7);
            int[] cuts = new int[(length + size - 1) / size + 1];
            for (int i = 0; i < cuts.length; i++) {
                cuts[i] = Math.min(length, i * size);
            }
            return cuts;
        }

        private static ByteBuf chunk(SplittableRandom random, byte[] bytes, int from, int length) {
            int kind = random.nextInt(8);
            if (kind == 0 && length >= 2) {
                // A composite chunk, as a socket read could arrive in several buffers.
                CompositeByteBuf composite = ALLOC.compositeBuffer();
                int split = 1 + random.nextInt(length - 1);
                composite.addComponent(true, ALLOC.directBuffer(split).writeBytes(bytes, from, split));
                composite.addComponent(true, ALLOC.heapBuffer(length - split).writeBytes(bytes, from + split,
                        length - split));
                return composite;
            }
            ByteBuf buf = kind < 5 ? ALLOC.directBuffer(length) : ALLOC.heapBuffer(length);
            return buf.writeBytes(bytes, from, length);
        }

        // ---------------------------------------------------------------------------- generating

        private Input generate(SplittableRandom random) {
            FrameLimits limits = switch (random.nextInt(4)) {
                case 0, 1 -> SMALL;
                case 2 -> FrameLimits.DEFAULT;
                default -> TIGHT;
            };
            int pick = random.nextInt(100);
            Category category = pick < 12 ? Category.RANDOM_BYTES
                    : pick < 22 ? Category.SEALED_RANDOM_BODY
                    : pick < 30 ? Category.VALID_STREAM
                    : pick < 55 ? Category.MUTATED_BATCH
                    : pick < 70 ? Category.MUTATED_CONTROL
                    : pick < 85 ? Category.MUTATED_SYNTHETIC_BATCH
                    : Category.MUTATED_STREAM;
            return switch (category) {
                case RANDOM_BYTES -> {
                    byte[] bytes = new byte[randomLength(random)];
                    random.nextBytes(bytes);
                    yield new Input(category, limits, bytes, List.of(), false, "random bytes");
                }
                case SEALED_RANDOM_BODY -> new Input(category, limits, sealedRandomBody(random), List.of(), false,
                        "random body with a valid prefix and CRC");
                case VALID_STREAM -> {
                    List<Frame> frames = stream(random, limits, 1 + random.nextInt(4));
                    yield new Input(category, limits, concat(frames, -1, null), expected(frames, frames.size()), true,
                            "valid stream of " + frames.size() + " frames");
                }
                case MUTATED_BATCH -> mutated(random, category, limits, List.of(pick(random, limits)));
                case MUTATED_CONTROL -> mutated(random, category, limits, List.of(controlFrame(random, limits)));
                case MUTATED_SYNTHETIC_BATCH -> mutated(random, category, limits,
                        List.of(new Frame(syntheticBatch(random, limits), null)));
                case MUTATED_STREAM -> mutated(random, category, limits, stream(random, limits, 2 + random.nextInt(3)));
            };
        }

        private static int randomLength(SplittableRandom random) {
            int r = random.nextInt(1000);
            if (r < 600) {
                return random.nextInt(65);
            }
            if (r < 950) {
                return random.nextInt(4097);
            }
            if (r < 998) {
                return random.nextInt(65_537);
            }
            return random.nextInt(MAX_INPUT_BYTES + 1);
        }

        private Input mutated(SplittableRandom random, Category category, FrameLimits limits, List<Frame> frames) {
            int victim = random.nextInt(frames.size());
            StringBuilder description = new StringBuilder(category + " (frame " + victim + " of " + frames.size()
                    + ")");
            // A quarter of the synthetic batches go as built: their structure is already random.
            byte[] damaged = category == Category.MUTATED_SYNTHETIC_BATCH && random.nextInt(4) == 0
                    ? frames.get(victim).bytes() : mutate(random, frames.get(victim).bytes(), limits, description);
            byte[] bytes = concat(frames, victim, damaged);
            if (bytes.length > MAX_INPUT_BYTES) {
                bytes = Arrays.copyOf(bytes, MAX_INPUT_BYTES);
            }
            return new Input(category, limits, bytes, expected(frames, victim), false, description.toString());
        }

        private List<Frame> stream(SplittableRandom random, FrameLimits limits, int n) {
            List<Frame> frames = new ArrayList<>();
            int total = 0;
            for (int i = 0; i < n; i++) {
                Frame frame = random.nextBoolean() ? controlFrame(random, limits) : pick(random, limits);
                if (total + frame.bytes().length > MAX_INPUT_BYTES / 2 && !frames.isEmpty()) {
                    break;
                }
                frames.add(frame);
                total += frame.bytes().length;
            }
            return frames;
        }

        private static List<Object> expected(List<Frame> frames, int upTo) {
            List<Object> expected = new ArrayList<>();
            for (int i = 0; i < upTo; i++) {
                Frame frame = frames.get(i);
                expected.add(frame.expected());
            }
            return expected;
        }

        private static byte[] concat(List<Frame> frames, int replaced, byte[] replacement) {
            int total = 0;
            for (int i = 0; i < frames.size(); i++) {
                total += (i == replaced ? replacement : frames.get(i).bytes()).length;
            }
            byte[] out = new byte[total];
            int at = 0;
            for (int i = 0; i < frames.size(); i++) {
                byte[] part = i == replaced ? replacement : frames.get(i).bytes();
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }

        private Frame pick(SplittableRandom random, FrameLimits limits) {
            List<Frame> pool = pools.get(limits);
            return pool.get(random.nextInt(pool.size()));
        }

        // ---------------------------------------------------------------------------- mutations

        private static byte[] mutate(SplittableRandom random, byte[] original, FrameLimits limits,
                                     StringBuilder description) {
            byte[] f = original.clone();
            boolean batch = f.length > FrameLayout.TYPE_OFFSET && f[FrameLayout.TYPE_OFFSET] == FrameLayout.TYPE_PAGE_BATCH;
            int ops = 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
            boolean lengthEdited = false;
            for (int op = 0; op < ops; op++) {
                int kind = random.nextInt(100);
                if (kind < 15) {
                    int flips = 1 + random.nextInt(4);
                    for (int k = 0; k < flips && f.length > 0; k++) {
                        int at = position(random, f.length, batch);
                        f[at] ^= (byte) (1 << random.nextInt(8));
                    }
                    description.append(", ").append(flips).append(" bit flips");
                } else if (kind < 30) {
                    int n = 1 + random.nextInt(4);
                    for (int k = 0; k < n && f.length > 0; k++) {
                        f[position(random, f.length, batch)] = (byte) (random.nextBoolean()
                                ? INTERESTING_U8[random.nextInt(INTERESTING_U8.length)] : random.nextInt());
                    }
                    description.append(", ").append(n).append(" bytes overwritten");
                } else if (kind < 38) {
                    int length = random.nextInt(Math.max(1, f.length));
                    f = Arrays.copyOf(f, length);
                    description.append(", truncated to ").append(length);
                } else if (kind < 45) {
                    int at = random.nextInt(f.length + 1);
                    byte[] extra = new byte[1 + random.nextInt(32)];
                    random.nextBytes(extra);
                    byte[] g = new byte[f.length + extra.length];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(extra, 0, g, at, extra.length);
                    System.arraycopy(f, at, g, at + extra.length, f.length - at);
                    f = g;
                    description.append(", ").append(extra.length).append(" bytes inserted at ").append(at);
                } else if (kind < 50 && f.length > 1) {
                    int at = random.nextInt(f.length);
                    int n = 1 + random.nextInt(Math.min(32, f.length - at));
                    byte[] g = new byte[f.length - n];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(f, at + n, g, at, f.length - at - n);
                    f = g;
                    description.append(", ").append(n).append(" bytes deleted at ").append(at);
                } else if (kind < 65 && f.length >= 4) {
                    int value = editedValue(random, getIntLE(f, FrameLayout.LENGTH_OFFSET), limits);
                    setLE(f, FrameLayout.LENGTH_OFFSET, 4, value);
                    lengthEdited = true;
                    description.append(", length field ").append(Integer.toUnsignedString(value));
                } else {
                    headerEdit(random, f, batch, limits, description);
                }
            }
            int reseal = random.nextInt(100);
            if (reseal < 65) {
                // The CRC where the decoder will look for it: a page batch's at the end of its checked part (as
                // its edited header gives it, ahead of the payload); a control frame's at the claimed end; or at
                // the real end.
                long checked = f.length > FrameLayout.TYPE_OFFSET && f[FrameLayout.TYPE_OFFSET] == FrameLayout.TYPE_PAGE_BATCH
                        ? TestFrames.checkedLength(f) : -1;
                int claimed = f.length >= 4 ? getIntLE(f, FrameLayout.LENGTH_OFFSET) : -1;
                int end;
                if (checked >= FrameLayout.MIN_FRAME_LENGTH && checked <= f.length && reseal < 55) {
                    end = (int) checked;
                } else {
                    end = lengthEdited && claimed >= FrameLayout.MIN_FRAME_LENGTH && claimed <= f.length && reseal < 50
                            ? claimed : f.length;
                }
                if (end >= FrameLayout.CRC_LENGTH) {
                    TestFrames.seal(f, end);
                    description.append(", re-sealed at ").append(end);
                }
            }
            return f;
        }

        /** Mostly in the prefix, the batch header and the page flags, where the structure lives. */
        private static int position(SplittableRandom random, int length, boolean batch) {
            int headerEnd = batch ? PageBatchLayout.HEADER_LENGTH + 16 : FrameLayout.PREFIX_LENGTH + 16;
            return random.nextInt(3) == 0 ? random.nextInt(Math.min(length, headerEnd)) : random.nextInt(length);
        }

        private static void headerEdit(SplittableRandom random, byte[] f, boolean batch, FrameLimits limits,
                                       StringBuilder description) {
            int[][] fields = batch
                    ? new int[][] {{FrameLayout.TYPE_OFFSET, 1}, {FrameLayout.VERSION_OFFSET, 1},
                        {FrameLayout.RESERVED_OFFSET, 2}, {PageBatchLayout.SLOT_OFFSET, 4},
                        {PageBatchLayout.PAGE_COUNT_OFFSET, 4}, {PageBatchLayout.ROUND_OFFSET, 8},
                        {PageBatchLayout.FIRST_PAGE_OFFSET, 8}, {PageBatchLayout.PAGE_SHIFT_OFFSET, 1},
                        {PageBatchLayout.BATCH_FLAGS_OFFSET, 1}, {PageBatchLayout.BATCH_RESERVED_OFFSET, 2},
                        {PageBatchLayout.INLINE_LENGTH_OFFSET, 4}, {PageBatchLayout.TAG_LENGTH_OFFSET, 4},
                        {PageBatchLayout.TAG_RAW_LENGTH_OFFSET, 4}, {PageBatchLayout.PAGE_FLAGS_OFFSET, 1}}
                    : new int[][] {{FrameLayout.TYPE_OFFSET, 1}, {FrameLayout.VERSION_OFFSET, 1},
                        {FrameLayout.RESERVED_OFFSET, 2}, {FrameLayout.PREFIX_LENGTH, 1}, {FrameLayout.PREFIX_LENGTH + 1, 1}};
            int[] field = fields[random.nextInt(fields.length)];
            int offset = field[0];
            int width = field[1];
            if (offset == PageBatchLayout.PAGE_FLAGS_OFFSET && f.length > offset + 1) {
                // One page's flag byte, anywhere in the flag section.
                int pages = Math.max(1, Math.min(getIntLE(f, PageBatchLayout.PAGE_COUNT_OFFSET), 64));
                offset += random.nextInt(Math.min(pages, f.length - offset));
            }
            if (offset + width > f.length) {
                description.append(", header field at ").append(offset).append(" beyond the end");
                return;
            }
            long value = switch (width) {
                case 1 -> random.nextInt(3) == 0 ? random.nextInt(256) : INTERESTING_U8[random.nextInt(INTERESTING_U8.length)];
                case 2 -> random.nextBoolean() ? random.nextInt(65536) : 1 << random.nextInt(16);
                case 4 -> Integer.toUnsignedLong(editedValue(random, getIntLE(f, offset), limits));
                default -> random.nextInt(3) == 0 ? -1 - random.nextInt(1000) : random.nextLong();
            };
            setLE(f, offset, width, value);
            description.append(", header field at ").append(offset).append(" = ").append(value);
        }

        /** A new value for a u32 field: interesting, near the old one, or anything. */
        private static int editedValue(SplittableRandom random, int old, FrameLimits limits) {
            return switch (random.nextInt(6)) {
                case 0, 1 -> INTERESTING_U32[random.nextInt(INTERESTING_U32.length)];
                case 2 -> old + random.nextInt(-16, 17);
                case 3 -> switch (random.nextInt(4)) {
                    case 0 -> limits.maxFrameBytes() + random.nextInt(-1, 2);
                    case 1 -> limits.maxPagesPerBatch() + random.nextInt(-1, 2);
                    case 2 -> limits.maxControlBytes() + random.nextInt(-1, 2);
                    default -> -random.nextInt(1, 1 << 20);
                };
                case 4 -> random.nextInt(0, 1 << random.nextInt(1, 31));
                default -> random.nextInt();
            };
        }

        // ---------------------------------------------------------------------------- frame builders

        private static byte[] sealedRandomBody(SplittableRandom random) {
            int body = random.nextInt(10) == 0 ? random.nextInt(65_537) : random.nextInt(1025);
            if (random.nextBoolean()) {
                body = Math.max(body, PageBatchLayout.HEADER_LENGTH - FrameLayout.PREFIX_LENGTH + random.nextInt(64));
            }
            byte[] f = new byte[FrameLayout.MIN_FRAME_LENGTH + body];
            random.nextBytes(f);
            setLE(f, FrameLayout.LENGTH_OFFSET, 4, f.length);
            int type = random.nextInt(10);
            f[FrameLayout.TYPE_OFFSET] = (byte) (type < 5 ? FrameLayout.TYPE_CONTROL
                    : type < 9 ? FrameLayout.TYPE_PAGE_BATCH : random.nextInt(256));
            f[FrameLayout.VERSION_OFFSET] = (byte) (random.nextInt(20) == 0 ? random.nextInt(256) : FrameLayout.VERSION);
            setLE(f, FrameLayout.RESERVED_OFFSET, 2, random.nextInt(20) == 0 ? random.nextInt(65536) : 0);
            int end = f.length;
            int pages = 1 + random.nextInt(8);
            if (f[FrameLayout.TYPE_OFFSET] == FrameLayout.TYPE_PAGE_BATCH
                    && f.length >= PageBatchLayout.HEADER_LENGTH + pages + FrameLayout.CRC_LENGTH && random.nextBoolean()) {
                // A believable header over random sections that fit the frame, the rest of it a payload.
                setLE(f, PageBatchLayout.PAGE_COUNT_OFFSET, 4, pages);
                f[PageBatchLayout.PAGE_SHIFT_OFFSET] = (byte) (12 + 2 * random.nextInt(3));
                f[PageBatchLayout.BATCH_FLAGS_OFFSET] = (byte) random.nextInt(2);
                setLE(f, PageBatchLayout.BATCH_RESERVED_OFFSET, 2, 0);
                f[PageBatchLayout.SLOT_OFFSET + 3] &= 0x7F;
                f[PageBatchLayout.ROUND_OFFSET + 7] &= 0x7F;
                f[PageBatchLayout.FIRST_PAGE_OFFSET + 7] &= 0x7F;
                int room = f.length - PageBatchLayout.HEADER_LENGTH - pages - FrameLayout.CRC_LENGTH;
                int inline = random.nextInt(room + 1);
                int tags = random.nextInt(room - inline + 1);
                setLE(f, PageBatchLayout.INLINE_LENGTH_OFFSET, 4, inline);
                setLE(f, PageBatchLayout.TAG_LENGTH_OFFSET, 4, tags);
                end = (int) TestFrames.checkedLength(f);
            }
            TestFrames.seal(f, end);
            return f;
        }

        /** A batch encoded by PageBatchEncoder from random pages and tags, under {@code limits}. */
        private static Frame encodedBatch(SplittableRandom random, FrameLimits limits) {
            PageSize size;
            do {
                size = PageSize.values()[random.nextInt(10) < 6 ? 0 : 1 + random.nextInt(2)];
            } while (PageBatchEncoder.maxPagesPerFrame(size, limits) < 1);
            int most = Math.min(PageBatchEncoder.maxPagesPerFrame(size, limits), size == PageSize.SIZE_64K ? 4 : 12);
            int pages = 1 + random.nextInt(most);
            byte[] ram = new byte[pages * size.bytes()];
            byte[] tags = new byte[pages * size.granules()];
            for (int p = 0; p < pages; p++) {
                fillPage(random, ram, p * size.bytes(), size.bytes());
                fillTags(random, tags, p * size.granules(), size.granules());
            }
            EncoderConfig config = EncoderConfig.defaults().withLimits(limits);
            if (random.nextInt(3) == 0) {
                config = config.withPageCompression(Compression.zstd(1 + random.nextInt(3)));
            }
            if (random.nextInt(3) == 0) {
                config = config.withTagSectionCompression(Compression.zstd(1));
            }
            config = config.withTagPolicy(switch (random.nextInt(5)) {
                case 0 -> new SmallestTagEncoding(EnumSet.of(TagKind.PACKED));
                case 1 -> new SmallestTagEncoding(EnumSet.of(TagKind.ZERO, TagKind.PACKED));
                case 2 -> new SmallestTagEncoding(EnumSet.of(TagKind.UNIFORM, TagKind.RLE, TagKind.PACKED));
                default -> SmallestTagEncoding.all();
            });
            int slot = random.nextInt(64);
            long round = random.nextLong(1L << 40);
            long firstPage = random.nextLong(1L << 40);
            ByteBuffer ramBuf = random.nextBoolean() ? ByteBuffer.allocateDirect(ram.length).put(0, ram)
                    : ByteBuffer.wrap(ram);
            ByteBuffer tagBuf = ByteBuffer.wrap(tags);
            ByteBuf frame;
            try (PageBatchEncoder encoder = new PageBatchEncoder(config)) {
                frame = encoder.encode(ALLOC, slot, round, firstPage, pages, size.bytes(), ramBuf, 0, tagBuf, 0);
            }
            try {
                byte[] bytes = new byte[frame.readableBytes()];
                frame.getBytes(frame.readerIndex(), bytes);
                return new Frame(bytes, new SourceBatch(size, pages, slot, round, firstPage, ram, tags));
            } finally {
                frame.release();
            }
        }

        private static void fillPage(SplittableRandom random, byte[] ram, int at, int size) {
            switch (random.nextInt(6)) {
                case 0 -> { } // zero
                case 1 -> {
                    byte[] page = new byte[size];
                    random.nextBytes(page);
                    System.arraycopy(page, 0, ram, at, size);
                }
                case 2 -> { // compressible: a short pattern with a little noise
                    int period = 1 + random.nextInt(64);
                    for (int i = 0; i < size; i++) {
                        ram[at + i] = (byte) (i % period * 7);
                    }
                    for (int k = random.nextInt(16); k > 0; k--) {
                        ram[at + random.nextInt(size)] = (byte) random.nextInt();
                    }
                }
                case 3 -> ram[at + random.nextInt(size)] = (byte) (1 + random.nextInt(255)); // one byte
                default -> { // allocator-like: blocks of words
                    for (int i = 0; i < size; i += 8) {
                        if (random.nextInt(4) != 0) {
                            ram[at + i] = (byte) random.nextInt();
                            ram[at + i + 1] = (byte) (i >> 3);
                        }
                    }
                }
            }
        }

        private static void fillTags(SplittableRandom random, byte[] tags, int at, int granules) {
            switch (random.nextInt(5)) {
                case 0 -> { } // zero
                case 1 -> Arrays.fill(tags, at, at + granules, (byte) (1 + random.nextInt(15)));
                case 2 -> {
                    for (int g = 0; g < granules; g++) {
                        tags[at + g] = (byte) random.nextInt(16);
                    }
                }
                default -> { // runs, as an allocator's blocks
                    int g = 0;
                    while (g < granules) {
                        int run = Math.min(granules - g, 1 + random.nextInt(random.nextBoolean() ? 8 : 512));
                        Arrays.fill(tags, at + g, at + g + run, (byte) random.nextInt(16));
                        g += run;
                    }
                }
            }
        }

        /**
         * A page-batch frame built field by field, sealed: any page count within the limits (many
         * zero pages in a small frame), raw, real zstd or garbage zstd pages, valid or broken tag
         * forms, a real zstd tag section or one whose raw length is anything up to the largest the
         * page count allows.
         */
        private static byte[] syntheticBatch(SplittableRandom random, FrameLimits limits) {
            PageSize size = PageSize.values()[random.nextInt(3)];
            int shift = random.nextInt(20) == 0 ? random.nextInt(256) : size.shift();
            int n = random.nextInt(8) == 0 ? 1 + random.nextInt(Math.min(limits.maxPagesPerBatch(), 4096))
                    : 1 + random.nextInt(16);
            int budget = Math.min(MAX_INPUT_BYTES, limits.maxFrameBytes()) - PageBatchLayout.HEADER_LENGTH - n - 64;
            ByteBuf data = ALLOC.heapBuffer();
            ByteBuf payload = ALLOC.heapBuffer();
            ByteBuf tags = ALLOC.heapBuffer();
            try {
                byte[] flags = new byte[n];
                boolean mostlyZero = n > 16;
                for (int p = 0; p < n; p++) {
                    int dataKind = mostlyZero && random.nextInt(50) != 0 ? PageBatchLayout.DATA_ZERO : random.nextInt(3);
                    int used = data.readableBytes() + payload.readableBytes();
                    if (dataKind == PageBatchLayout.DATA_RAW && used + size.bytes() <= budget) {
                        byte[] page = new byte[size.bytes()];
                        fillPage(random, page, 0, page.length);
                        payload.writeBytes(page);
                    } else if (dataKind == PageBatchLayout.DATA_ZSTD && used + size.bytes() <= budget) {
                        byte[] compressed;
                        if (random.nextBoolean()) {
                            byte[] page = new byte[size.bytes()];
                            fillPage(random, page, 0, page.length);
                            compressed = Zstd.compress(page, 1);
                            if (random.nextInt(4) == 0 && compressed.length > 0) {
                                compressed[random.nextInt(compressed.length)] ^= (byte) (1 << random.nextInt(8));
                            }
                        } else {
                            compressed = new byte[1 + random.nextInt(64)];
                            random.nextBytes(compressed);
                        }
                        if (compressed.length + PageBatchLayout.ZSTD_PAGE_PREFIX >= size.bytes()) {
                            dataKind = PageBatchLayout.DATA_ZERO;
                        } else {
                            data.writeIntLE(compressed.length).writeBytes(compressed);
                        }
                    } else {
                        dataKind = PageBatchLayout.DATA_ZERO;
                    }
                    TagKind tagKind = TagKind.values()[random.nextInt(4)];
                    switch (tagKind) {
                        case ZERO -> { }
                        case UNIFORM -> tags.writeByte(random.nextInt(20) == 0 ? random.nextInt(256) : random.nextInt(16));
                        case PACKED -> {
                            byte[] packed = new byte[size.packedTagBytes()];
                            if (!mostlyZero) {
                                random.nextBytes(packed);
                            }
                            tags.writeBytes(packed);
                        }
                        case RLE -> {
                            int runs = 1 + random.nextInt(Math.min(size.packedTagBytes() / 2 - 2, 40));
                            tags.writeShortLE(runs);
                            int left = size.granules();
                            for (int r = 0; r < runs; r++) {
                                int length = r == runs - 1 ? left : 1 + random.nextInt(Math.max(1, left - (runs - r - 1)));
                                length = Math.max(1, Math.min(length, left - (runs - r - 1)));
                                if (random.nextInt(30) == 0) {
                                    length = 1 + random.nextInt(4096);
                                }
                                tags.writeShortLE((length - 1) << 4 | random.nextInt(16));
                                left -= length;
                            }
                        }
                    }
                    flags[p] = (byte) (dataKind | tagKind.code() << PageBatchLayout.TAG_KIND_SHIFT);
                    if (random.nextInt(8 * n) == 0) { // about one frame in eight has one stray flag byte
                        flags[p] = (byte) random.nextInt(256);
                    }
                }
                int tagRaw = tags.readableBytes();
                byte[] tagWire = new byte[tagRaw];
                tags.getBytes(0, tagWire);
                int batchFlags = 0;
                if (random.nextInt(3) == 0) {
                    batchFlags = PageBatchLayout.BATCH_TAGS_ZSTD;
                    tagWire = Zstd.compress(tagWire, 1);
                    if (random.nextInt(3) == 0) {
                        // Claim anything up to what the page count allows, or just beyond.
                        long most = (long) n * size.packedTagBytes();
                        tagRaw = (int) Math.min(0xFFFFFFFFL, random.nextBoolean() ? most + random.nextInt(2)
                                : random.nextLong(most + 1));
                    }
                }
                int checked = PageBatchLayout.HEADER_LENGTH + n + data.readableBytes() + tagWire.length
                        + FrameLayout.CRC_LENGTH;
                int frameLength = checked + payload.readableBytes();
                byte[] f = new byte[frameLength];
                setLE(f, FrameLayout.LENGTH_OFFSET, 4, frameLength);
                f[FrameLayout.TYPE_OFFSET] = FrameLayout.TYPE_PAGE_BATCH;
                f[FrameLayout.VERSION_OFFSET] = FrameLayout.VERSION;
                setLE(f, PageBatchLayout.SLOT_OFFSET, 4, random.nextInt(1 << 20));
                setLE(f, PageBatchLayout.PAGE_COUNT_OFFSET, 4, n);
                setLE(f, PageBatchLayout.ROUND_OFFSET, 8, random.nextLong(1L << 50));
                setLE(f, PageBatchLayout.FIRST_PAGE_OFFSET, 8, random.nextLong(1L << 50));
                f[PageBatchLayout.PAGE_SHIFT_OFFSET] = (byte) shift;
                f[PageBatchLayout.BATCH_FLAGS_OFFSET] = (byte) batchFlags;
                setLE(f, PageBatchLayout.INLINE_LENGTH_OFFSET, 4, data.readableBytes());
                setLE(f, PageBatchLayout.TAG_LENGTH_OFFSET, 4, tagWire.length);
                setLE(f, PageBatchLayout.TAG_RAW_LENGTH_OFFSET, 4, tagRaw);
                System.arraycopy(flags, 0, f, PageBatchLayout.PAGE_FLAGS_OFFSET, n);
                data.getBytes(0, f, PageBatchLayout.HEADER_LENGTH + n, data.readableBytes());
                System.arraycopy(tagWire, 0, f, PageBatchLayout.HEADER_LENGTH + n + data.readableBytes(), tagWire.length);
                TestFrames.seal(f, checked);
                payload.getBytes(0, f, checked, payload.readableBytes());
                return f;
            } finally {
                data.release();
                payload.release();
                tags.release();
            }
        }

        private static Frame controlFrame(SplittableRandom random, FrameLimits limits) {
            ControlMessage message = controlMessage(random);
            if (message.getSerializedSize() > limits.maxControlBytes()) {
                message = ControlMessage.newBuilder()
                        .setRoundStart(RoundStart.newBuilder().setRound(random.nextLong(1L << 40))).build();
            }
            ByteBuf frame = ControlFrames.encode(ALLOC, message, limits);
            try {
                byte[] bytes = new byte[frame.readableBytes()];
                frame.getBytes(frame.readerIndex(), bytes);
                return new Frame(bytes, message);
            } finally {
                frame.release();
            }
        }

        private static ControlMessage controlMessage(SplittableRandom random) {
            ControlMessage.Builder m = ControlMessage.newBuilder();
            switch (random.nextInt(13)) {
                case 0 -> m.setHello(Hello.newBuilder().setProtocolVersion(random.nextInt(4))
                        .addAllAcceptedVersions(List.of(1, random.nextInt(10))).setCapabilities(capabilities(random))
                        .setChannelCount(random.nextInt(16)).setChannelIndex(random.nextInt(16))
                        .setSessionId(bytes(random, 16)).setAuth(Auth.newBuilder()
                                .setMethod(AuthMethod.forNumber(random.nextInt(3))).setToken(bytes(random, 32)))
                        .setSoftware(text(random, 24)));
                case 1 -> m.setHelloAccept(HelloAccept.newBuilder().setProtocolVersion(1)
                        .setAgreed(capabilities(random)).setSessionId(bytes(random, 16)));
                case 2 -> {
                    VmLayout.Builder layout = VmLayout.newBuilder().setVcpuCount(random.nextInt(8))
                            .setMteEnabled(random.nextBoolean()).setPageSize(4096 << 2 * random.nextInt(3))
                            .setRamBytes(random.nextLong(1L << 40));
                    for (int s = random.nextInt(4); s > 0; s--) {
                        layout.addMemslots(Memslot.newBuilder().setSlotId(random.nextInt(32))
                                .setGuestPhysAddr(random.nextLong()).setSize(random.nextLong(1L << 36))
                                .setFlags(random.nextInt(4)));
                    }
                    for (int v = random.nextInt(4); v > 0; v--) {
                        layout.addVcpus(VcpuFeatures.newBuilder().setVcpuId(v).setAarch32(random.nextBoolean())
                                .addFeatures(random.nextInt(8)));
                    }
                    m.setVmLayout(layout);
                }
                case 3 -> m.setRoundStart(RoundStart.newBuilder().setRound(random.nextLong(1L << 40))
                        .setPagesInRound(random.nextLong()).setStopAndCopy(random.nextBoolean()));
                case 4 -> m.setRoundEnd(RoundEnd.newBuilder().setRound(random.nextInt(100))
                        .setPagesInRound(random.nextLong(1L << 30)));
                case 5 -> {
                    byte[] registers = new byte[random.nextBoolean() ? 336 : 304];
                    random.nextBytes(registers);
                    VcpuState.Builder state = VcpuState.newBuilder().setVcpuId(random.nextInt(8))
                            .setState(com.google.protobuf.ByteString.copyFrom(registers));
                    m.setVcpuState(state);
                }
                case 6 -> m.setComplete(Complete.newBuilder().setRamTagsDigest(random.nextLong())
                        .setVcpuStateDigest(random.nextLong()).setPagesTotal(random.nextLong(1L << 30))
                        .setRounds(random.nextInt(30)));
                case 7 -> m.setAck(Ack.newBuilder().setTargetDigest(random.nextLong())
                        .setTargetVcpuStateDigest(random.nextLong()).setResumed(random.nextBoolean())
                        .setPagesApplied(random.nextLong(1L << 30)).setInfo(text(random, 48)));
                case 8 -> m.setError(Error.newBuilder().setCode(ErrorCode.forNumber(1 + random.nextInt(14)))
                        .setMessage(text(random, 80)));
                case 9 -> m.setReady(Ready.newBuilder().setRamBytes(random.nextLong(1L << 40)));
                case 10 -> m.setRelease(Release.getDefaultInstance());
                case 11 -> m.setReleased(Released.getDefaultInstance());
                default -> { } // no body at all: the 12-byte frame
            }
            return m.build();
        }

        private static Capabilities capabilities(SplittableRandom random) {
            Capabilities.Builder c = Capabilities.newBuilder().setMte(random.nextBoolean())
                    .setPageSize(4096 << 2 * random.nextInt(3)).setMaxChannels(random.nextInt(16))
                    .setMaxRamBytes(random.nextLong(1L << 40));
            for (int i = random.nextInt(6); i > 0; i--) {
                c.addTagEncodings(TagEncoding.forNumber(1 + random.nextInt(5)));
            }
            for (int i = random.nextInt(3); i > 0; i--) {
                c.addCompressionCodecs(CompressionCodec.forNumber(1 + random.nextInt(2)));
            }
            return c.build();
        }

        private static ByteString bytes(SplittableRandom random, int most) {
            byte[] b = new byte[random.nextInt(most + 1)];
            random.nextBytes(b);
            return ByteString.copyFrom(b);
        }

        /** Text with multi-byte UTF-8, so that mutations can break its encoding. */
        private static String text(SplittableRandom random, int most) {
            StringBuilder s = new StringBuilder();
            for (int i = random.nextInt(most + 1); i > 0; i--) {
                s.appendCodePoint(switch (random.nextInt(4)) {
                    case 0 -> 0xE9;
                    case 1 -> 0x4E2D;
                    case 2 -> 0x1F600;
                    default -> 'a' + random.nextInt(26);
                });
            }
            return s.toString();
        }
    }

    /** What a landing receiver put out, and its refusal. */
    private record Landing(List<Object> out, FrameException refusal) {
    }

    /** A batch out of a landing receiver and a copy of the payload that landed for it, its raw pages in order. */
    private record Landed(PageBatch batch, byte[] payload) {
    }

    /**
     * The fuzz's guest memory: as large as any batch the limits let through can span (16384 pages of
     * 64 KiB), but a sparse file's mapping, so only the pages that payloads land in take memory.
     * Every batch lands at its start; a batch's raw pages are zeroed again once they were copied.
     */
    static final class LandingZone implements LandingReceiver.LandingSite, AutoCloseable {
        private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PageSize.SIZE_64K.bytes());
        /** A landed batch's other pages are checked to be untouched up to this span. */
        private static final long CHECKED_SPAN = 4 << 20;

        private final Arena arena = Arena.ofShared();
        private final MemorySegment memory;
        private PageBatch asked;
        /** The raw pages of the batch asked for, as (offset, length) runs: taken when asked, it may be released since. */
        private final List<long[]> dirty = new ArrayList<>();

        LandingZone(List<FrameLimits> limits) throws IOException {
            long most = limits.stream().mapToLong(FrameLimits::maxPagesPerBatch).max().orElseThrow()
                    * PageSize.SIZE_64K.bytes();
            Path file = Files.createTempFile("decoder-fuzz-landing", ".mem");
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.DELETE_ON_CLOSE)) {
                channel.write(ByteBuffer.allocate(1), most - 1);
                memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, most, arena);
            }
        }

        @Override
        public MemorySegment destinationOf(PageBatch batch) {
            if (asked != null) {
                throw new AssertionError("asked for " + batch + " while " + asked + " has not landed");
            }
            assertTrue(batch.rawPages() > 0, "asked for a batch without raw pages");
            asked = batch;
            long size = batch.pageSize();
            for (int p = 0; p < batch.pageCount(); p++) {
                if (batch.isDataRaw(p)) {
                    dirty.add(new long[] {p * size, size});
                }
            }
            return memory.asSlice(0, (long) batch.pageCount() * batch.pageSize());
        }

        /** Zeroes what the batch last asked for may have received (all of it, or part when it never landed). */
        void clean() {
            for (long[] run : dirty) {
                memory.asSlice(run[0], run[1]).fill((byte) 0);
            }
            dirty.clear();
            asked = null;
        }

        @Override
        public void close() {
            arena.close();
        }

        /** After the receiver: copies each landed batch's raw pages (checking it wrote nothing else) and passes them on. */
        final class Snapshots extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof PageBatch batch)) {
                    ctx.fireChannelRead(msg);
                    return;
                }
                byte[] payload;
                try {
                    payload = take(batch);
                } catch (RuntimeException | java.lang.Error e) {
                    batch.release();
                    throw e;
                }
                ctx.fireChannelRead(new Landed(batch, payload));
            }
        }

        private byte[] take(PageBatch batch) {
            int raw = batch.rawPages();
            if (raw == 0) {
                assertTrue(asked == null, "the site was asked for another batch");
                return new byte[0];
            }
            assertTrue(asked == batch, "the site was not asked for the batch that landed");
            int size = batch.pageSize();
            long span = (long) batch.pageCount() * size;
            byte[] payload = new byte[raw * size];
            int r = 0;
            for (int p = 0; p < batch.pageCount(); p++) {
                MemorySegment page = memory.asSlice((long) p * size, size);
                if (batch.isDataRaw(p)) {
                    MemorySegment.copy(page, 0, MemorySegment.ofArray(payload), (long) r++ * size, size);
                } else if (span <= CHECKED_SPAN && page.mismatch(ZERO_PAGE.asSlice(0, size)) >= 0) {
                    fail("page " + p + " of " + batch + " is not raw, yet bytes landed in its place");
                }
            }
            clean();
            return payload;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Refusal reasons
    // ------------------------------------------------------------------------------------------------

    private static final String[][] REASONS = {
        {"stream ended after", "truncated stream"},
        {"CRC32C mismatch", "CRC32C mismatch"},
        {"frame length ", "frame length out of range"},
        {"frame format version", "format version"},
        {"reserved prefix bytes", "reserved prefix bytes"},
        {"unknown frame type", "frame type"},
        {"control message of ", "control message too large"},
        {"does not hold a valid ControlMessage", "control message not protobuf"},
        {"is shorter than its", "batch shorter than its header"},
        {"page count ", "page count out of range"},
        {"page size shift", "page size shift"},
        {"unknown batch flags", "batch flags or reserved"},
        {"negative slot, round or first page", "negative slot, round or first page"},
        {"sections of ", "section lengths vs frame length"},
        {"compressed tag section", "zstd tag section corrupt"},
        {"before compression", "tag raw length"},
        {"has no room for its length", "zstd page prefix"},
        {" claims ", "zstd page length"},
        {" has flags 0x", "page flags"},
        {" has data kind ", "page data kind"},
        {"runs past the inline data", "page data past its section"},
        {"inline data holds", "inline data length"},
        {"the flags give ", "payload vs raw pages"},
        {"tags of page", "tags of a page malformed"},
        {"tag section holds", "tag section length"},
    };

    static String reason(FrameException e, boolean onApply) {
        String message = e.getMessage();
        String problem = message.substring(message.indexOf(": ") + 2);
        if (onApply) {
            return problem.contains("zstd block") ? "zstd page corrupt (on apply)" : "on apply: " + problem;
        }
        for (String[] reason : REASONS) {
            if (problem.contains(reason[0])) {
                return reason[1];
            }
        }
        return "other: " + problem.substring(0, Math.min(60, problem.length()));
    }

    // ------------------------------------------------------------------------------------------------
    // Little-endian helpers and the watching allocator
    // ------------------------------------------------------------------------------------------------

    private static int getIntLE(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    private static void setLE(byte[] b, int at, int width, long value) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (value >>> 8 * i);
        }
    }

    /**
     * The channel's allocator, watched: the decoder itself may ask for at most
     * {@code maxFrameBytes}, the cumulator (which holds bytes that did arrive) for at most twice
     * what arrived; every buffer it hands out must be released by the end of the input.
     */
    static final class WatchingAllocator implements ByteBufAllocator {

        private static final StackWalker WALKER = StackWalker.getInstance();
        private static final Set<String> SELF = Set.of(WatchingAllocator.class.getName());

        private final ByteBufAllocator delegate = ByteBufAllocator.DEFAULT;
        private final List<ByteBuf> handedOut = new ArrayList<>();
        private FrameLimits limits;
        long delivered;
        long maxDecoderRequest;
        long maxCumulatorRequest;
        /** Recorded rather than thrown: an error thrown inside the decoder would only leak its buffers. */
        private String violation;

        void start(FrameLimits frameLimits) {
            limits = frameLimits;
            delivered = 0;
            violation = null;
            handedOut.clear();
        }

        void checkFinished() {
            if (violation != null) {
                fail(violation);
            }
            for (ByteBuf buf : handedOut) {
                assertEquals(0, buf.refCnt(), "a buffer the decoder allocated was not released");
            }
            handedOut.clear();
        }

        private void check(int requested) {
            String caller = WALKER.walk(frames -> frames.map(StackWalker.StackFrame::getClassName)
                    .filter(name -> !SELF.contains(name)).findFirst().orElse(""));
            if (caller.startsWith(ByteToMessageDecoder.class.getName())) {
                maxCumulatorRequest = Math.max(maxCumulatorRequest, requested);
                if (requested > Math.max(256, 2 * delivered) && violation == null) {
                    violation = "the cumulator asked for " + requested + " bytes after " + delivered + " arrived";
                }
            } else {
                maxDecoderRequest = Math.max(maxDecoderRequest, requested);
                if (requested > limits.maxFrameBytes() && violation == null) {
                    violation = caller + " asked the allocator for " + requested + " bytes, above the "
                            + limits.maxFrameBytes() + "-byte frame limit";
                }
            }
        }

        private <T extends ByteBuf> T track(T buf) {
            handedOut.add(buf);
            return buf;
        }

        @Override
        public ByteBuf buffer() {
            check(256);
            return track(delegate.buffer());
        }

        @Override
        public ByteBuf buffer(int initialCapacity) {
            check(initialCapacity);
            return track(delegate.buffer(initialCapacity));
        }

        @Override
        public ByteBuf buffer(int initialCapacity, int maxCapacity) {
            check(initialCapacity);
            return track(delegate.buffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf ioBuffer() {
            check(256);
            return track(delegate.ioBuffer());
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            check(initialCapacity);
            return track(delegate.ioBuffer(initialCapacity));
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            check(initialCapacity);
            return track(delegate.ioBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf heapBuffer() {
            check(256);
            return track(delegate.heapBuffer());
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity) {
            check(initialCapacity);
            return track(delegate.heapBuffer(initialCapacity));
        }

        @Override
        public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
            check(initialCapacity);
            return track(delegate.heapBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public ByteBuf directBuffer() {
            check(256);
            return track(delegate.directBuffer());
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity) {
            check(initialCapacity);
            return track(delegate.directBuffer(initialCapacity));
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
            check(initialCapacity);
            return track(delegate.directBuffer(initialCapacity, maxCapacity));
        }

        @Override
        public CompositeByteBuf compositeBuffer() {
            return track(delegate.compositeBuffer());
        }

        @Override
        public CompositeByteBuf compositeBuffer(int maxNumComponents) {
            return track(delegate.compositeBuffer(maxNumComponents));
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer() {
            return track(delegate.compositeHeapBuffer());
        }

        @Override
        public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
            return track(delegate.compositeHeapBuffer(maxNumComponents));
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer() {
            return track(delegate.compositeDirectBuffer());
        }

        @Override
        public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
            return track(delegate.compositeDirectBuffer(maxNumComponents));
        }

        @Override
        public boolean isDirectBufferPooled() {
            return delegate.isDirectBufferPooled();
        }

        @Override
        public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
            return delegate.calculateNewCapacity(minNewCapacity, maxCapacity);
        }
    }
}
