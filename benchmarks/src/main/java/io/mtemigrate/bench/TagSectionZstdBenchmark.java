package io.mtemigrate.bench;

import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.mtemigrate.tagstream.compress.Compressor;
import io.mtemigrate.tagstream.compress.ZstdDecompression;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.SmallestTagEncoding;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import java.util.concurrent.TimeUnit;

/**
 * zstd (level 3, as the wire-size figures use) over a batch's whole tag section: the per-page wire forms (smallest
 * of zero/uniform/RLE/packed) of 256 KiB of guest pages with allocator-like tags, the pattern where the encoder
 * may keep the zstd block. An op is one section, i.e. 256 KiB of guest memory: guest GB/s = 0.000262 x ops/s.
 * The block is always produced here, even when the encoder would drop it for not being smaller.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TagSectionZstdBenchmark {
    @Param({"4K", "16K", "64K"})
    String pageSize;

    private Compressor compressor;
    private ByteBuf section;
    private ByteBuf compressed;
    private ByteBuffer compressedView;
    private int compressedLength;
    private ByteBuffer restored;

    @Setup(Level.Trial)
    public void setUp() {
        PageSize size = PageSize.valueOf("SIZE_" + pageSize);
        int granules = TagCodecBenchmark.BATCH_BYTES / PageSize.GRANULE_SIZE;
        ByteBuf tags = Unpooled.directBuffer(granules);
        TagPatterns.fill(TagPatterns.Pattern.ALLOC, tags.nioBuffer(0, granules), granules, size.granules(), 42);
        section = Unpooled.directBuffer(granules);
        for (int i = 0; i < TagCodecBenchmark.BATCH_BYTES / size.bytes(); i++) {
            PageTagCodec.encode(tags, i * size.granules(), size, SmallestTagEncoding.all(), section);
        }
        tags.release();
        compressor = Compression.zstd(3).open();
        int bound = 2 * section.readableBytes() + 1024;
        compressed = Unpooled.directBuffer(bound);
        compressedLength = compress();
        compressedView = compressed.nioBuffer(0, bound);
        restored = ByteBuffer.allocateDirect(section.readableBytes());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%ntag section %d bytes, zstd block %d bytes%n", section.readableBytes(), compressedLength);
        compressor.close();
        section.release();
        compressed.release();
    }

    @Benchmark
    public int compress() {
        return compressor.compressInto(section, 0, section.readableBytes(), compressed, 0, compressed.capacity());
    }

    @Benchmark
    public ByteBuffer decompress() {
        ZstdDecompression.decompress(compressedView, 0, compressedLength, restored, 0, restored.capacity());
        return restored;
    }
}
