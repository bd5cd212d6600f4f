package io.mtemigrate.bench;

import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.tags.PageTagCodec;
import io.mtemigrate.tagstream.tags.TagEncodingPolicy;
import io.mtemigrate.tagstream.tags.TagKind;
import io.mtemigrate.tagstream.tags.TagRle;
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

import java.util.concurrent.TimeUnit;

/**
 * One page's tags between the kernel format and the wire ({@link PageTagCodec}), page after page over the tags of
 * 256 KiB of guest pages (16 KiB of kernel-format tags), with the encoding forced and tags that suit it: zero tags,
 * one tag per page, random tags (packed), allocator-like blocks (RLE). An op is one 256 KiB batch, so guest GB/s is
 * 0.000262 x ops/s and kernel-format tag GB/s is 0.0000164 x ops/s.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TagCodecBenchmark {
    static final int BATCH_BYTES = 256 << 10;

    @Param({"4K", "16K", "64K"})
    String pageSize;

    @Param({"ZERO", "UNIFORM", "PACKED", "RLE"})
    TagKind encoding;

    private PageSize size;
    private int pages;
    private TagEncodingPolicy forced;
    private ByteBuf kernelTags;
    private ByteBuf wire;
    private ByteBuf decoded;
    private TagKind[] kinds;

    @Setup(Level.Trial)
    public void setUp() {
        size = PageSize.valueOf("SIZE_" + pageSize);
        pages = BATCH_BYTES / size.bytes();
        int granules = BATCH_BYTES / PageSize.GRANULE_SIZE;
        kernelTags = Unpooled.directBuffer(granules);
        TagPatterns.Pattern pattern = switch (encoding) {
            case ZERO -> TagPatterns.Pattern.ZERO;
            case UNIFORM -> TagPatterns.Pattern.UNIFORM;
            case PACKED -> TagPatterns.Pattern.RANDOM;
            case RLE -> TagPatterns.Pattern.ALLOC;
        };
        TagPatterns.fill(pattern, kernelTags.nioBuffer(0, granules), granules, size.granules(), 42);
        TagKind kind = encoding;
        forced = (runs, firstTag, ps) -> kind;
        wire = Unpooled.directBuffer(granules);
        decoded = Unpooled.directBuffer(granules);
        kinds = new TagKind[pages];
        for (int i = 0; i < pages; i++) {
            kinds[i] = PageTagCodec.encode(kernelTags, i * size.granules(), size, forced, wire);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernelTags.release();
        wire.release();
        decoded.release();
    }

    /** Scan, choose (forced) and write each page's wire form. */
    @Benchmark
    public int encode() {
        ByteBuf out = wire.clear();
        for (int i = 0; i < pages; i++) {
            PageTagCodec.encode(kernelTags, i * size.granules(), size, forced, out);
        }
        return out.writerIndex();
    }

    /** Back to kernel-format bytes, ready for COPY_TAGS TO_GUEST. */
    @Benchmark
    public ByteBuf decode() {
        int at = 0;
        for (int i = 0; i < pages; i++) {
            TagKind kind = kinds[i];
            PageTagCodec.decode(kind, wire, at, size, decoded, i * size.granules());
            at += kind == TagKind.RLE ? TagRle.encodedSize(wire.getUnsignedShortLE(at))
                    : TagEncodingPolicy.wireSize(kind, 1, size);
        }
        return decoded;
    }
}
