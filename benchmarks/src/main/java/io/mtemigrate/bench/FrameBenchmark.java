package io.mtemigrate.bench;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.frame.EncoderConfig;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.tagstream.frame.PageBatchEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * One page-batch frame of 256 KiB of random (incompressible, never zero) pages with random or allocator-like tags,
 * default encoder settings (no compression). Encode: {@link PageBatchEncoder#encode} into a pooled direct buffer,
 * released after. Decode: {@link FrameDecoder} in an {@link EmbeddedChannel} (length, version, CRC32C, layout
 * checks), then {@link PageBatch#copyPageData} of every page into a direct buffer and one
 * {@link PageBatch#decodeTags}. An op is 256 KiB of page data: GB/s = 0.000262 x ops/s.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameBenchmark {
    @Param({"4K", "16K", "64K"})
    String pageSize;

    @Param({"RANDOM", "ALLOC"})
    TagPatterns.Pattern tags;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private int size;
    private int pages;
    private ByteBuffer ram;
    private ByteBuffer kernelTags;
    private PageBatchEncoder encoder;
    private ByteBuf frame;
    private EmbeddedChannel channel;
    private ByteBuffer targetRam;
    private ByteBuffer targetTags;

    @Setup(Level.Trial)
    public void setUp() {
        PageSize ps = PageSize.valueOf("SIZE_" + pageSize);
        size = ps.bytes();
        int bytes = TagCodecBenchmark.BATCH_BYTES;
        pages = bytes / size;
        ram = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        TagPatterns.randomData(ram, bytes, 7);
        kernelTags = ByteBuffer.allocateDirect(bytes / PageSize.GRANULE_SIZE);
        TagPatterns.fill(tags, kernelTags, kernelTags.capacity(), ps.granules(), 42);
        encoder = new PageBatchEncoder(EncoderConfig.defaults());
        frame = encodeFrame();
        channel = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULT));
        targetRam = ByteBuffer.allocateDirect(bytes);
        targetTags = ByteBuffer.allocateDirect(kernelTags.capacity());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%nframe of %d pages: %d bytes%n", pages, frame.readableBytes());
        frame.release();
        encoder.close();
        channel.finishAndReleaseAll();
    }

    private ByteBuf encodeFrame() {
        return encoder.encode(alloc, 0, 1, 0, pages, size, ram, 0, kernelTags, 0);
    }

    @Benchmark
    public int encode() {
        ByteBuf encoded = encodeFrame();
        try {
            return encoded.readableBytes();
        } finally {
            encoded.release();
        }
    }

    @Benchmark
    public ByteBuffer decode() {
        channel.writeInbound(frame.retainedDuplicate());
        PageBatch batch = channel.readInbound();
        try {
            for (int i = 0; i < batch.pageCount(); i++) {
                batch.copyPageData(i, targetRam, i * size, true);
            }
            batch.decodeTags(targetTags, 0);
            return targetTags;
        } finally {
            batch.release();
        }
    }
}
