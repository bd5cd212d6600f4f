package io.mtemigrate.tagstream.tags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.tagstream.PageSize;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class PageTagCodecTest {

    private static final List<TagEncodingPolicy> POLICIES = List.of(
            SmallestTagEncoding.all(),
            new SmallestTagEncoding(EnumSet.of(TagKind.PACKED)),
            new SmallestTagEncoding(EnumSet.of(TagKind.PACKED, TagKind.RLE)),
            new SmallestTagEncoding(EnumSet.of(TagKind.UNIFORM, TagKind.PACKED)));

    static Stream<Arguments> pages() {
        List<Arguments> cases = new ArrayList<>();
        Random random = new Random(20261125);
        for (PageSize size : PageSize.values()) {
            int n = size.granules();
            cases.add(Arguments.of(size, "all zero", new byte[n]));
            for (int tag = 1; tag < 16; tag++) {
                cases.add(Arguments.of(size, "uniform " + tag, filled(n, tag)));
            }
            cases.add(Arguments.of(size, "alternating 0/15", pattern(n, i -> i % 2 == 0 ? 0 : 15)));
            cases.add(Arguments.of(size, "every granule differs from the next", pattern(n, i -> i % 16)));
            cases.add(Arguments.of(size, "last granule differs", pattern(n, i -> i == n - 1 ? 7 : 3)));
            cases.add(Arguments.of(size, "first granule differs", pattern(n, i -> i == 0 ? 7 : 0)));
            cases.add(Arguments.of(size, "change at each long boundary", pattern(n, i -> (i / 8) % 2 == 0 ? 5 : 6)));
            cases.add(Arguments.of(size, "change one before long boundary", pattern(n, i -> ((i + 1) / 8) % 3)));
            cases.add(Arguments.of(size, "longest possible single run then one", pattern(n, i -> i < n - 1 ? 9 : 0)));
            cases.add(Arguments.of(size, "upper nibbles set (dropped like TO_GUEST)",
                    pattern(n, i -> 0xA0 | (i / 32) % 16)));
            cases.add(Arguments.of(size, "upper nibble only: zero tags", filled(n, 0xF0)));
            for (int k = 0; k < 20; k++) {
                byte[] tags = new byte[n];
                for (int i = 0; i < n; i++) {
                    tags[i] = (byte) random.nextInt(16);
                }
                cases.add(Arguments.of(size, "random " + k, tags));
                cases.add(Arguments.of(size, "random runs " + k, runs(n, random, 1 + random.nextInt(n))));
                byte[] noisy = tags.clone();
                for (int i = 0; i < n; i++) {
                    noisy[i] |= (byte) (random.nextInt(16) << 4);
                }
                cases.add(Arguments.of(size, "random with random upper nibbles " + k, noisy));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("pages")
    void shouldDecodeWhatItEncodedWithUpperNibblesDropped(PageSize size, String name, byte[] kernel) {
        for (TagEncodingPolicy policy : POLICIES) {
            // Place the page at an odd offset: nothing may assume alignment.
            ByteBuf in = Unpooled.buffer(kernel.length + 3).writerIndex(3).writeBytes(kernel);
            ByteBuf wire = Unpooled.buffer();
            ByteBuf out = Unpooled.buffer(kernel.length + 5).writerIndex(kernel.length + 5);
            TagKind kind = PageTagCodec.encode(in, 3, size, policy, wire);

            int written = wire.readableBytes();
            assertEquals(written, PageTagCodec.validate(kind, wire, 0, written, size), name + " " + kind);
            PageTagCodec.decode(kind, wire, 0, size, out, 5);

            byte[] expected = new byte[kernel.length];
            for (int i = 0; i < kernel.length; i++) {
                expected[i] = (byte) (kernel[i] & 0x0F);
            }
            assertEquals(ByteBufUtil.hexDump(expected), ByteBufUtil.hexDump(out, 5, kernel.length), name + " " + kind);
            assertTrue(written <= size.packedTagBytes(), name + ": " + kind + " took " + written + " bytes");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldCountRunsLikeANaiveScan(PageSize size) {
        Random random = new Random(7);
        for (int k = 0; k < 200; k++) {
            byte[] tags = runs(size.granules(), random, 1 + random.nextInt(64));
            int naive = 1;
            for (int i = 1; i < tags.length; i++) {
                naive += (tags[i] & 0x0F) != (tags[i - 1] & 0x0F) ? 1 : 0;
            }
            assertEquals(naive, TagScan.countRuns(Unpooled.wrappedBuffer(tags), 0, tags.length));
        }
    }

    @Test
    void shouldPackEvenGranulesIntoLowNibbles() {
        ByteBuf in = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuf out = Unpooled.buffer();

        NibblePacker.pack(in, 0, 8, out);

        assertEquals("21436587", ByteBufUtil.hexDump(out));
    }

    @Test
    void shouldChooseZeroUniformRleAndPackedBySize() {
        TagEncodingPolicy policy = SmallestTagEncoding.all();
        assertEquals(TagKind.ZERO, policy.choose(1, 0, PageSize.SIZE_4K));
        assertEquals(TagKind.UNIFORM, policy.choose(1, 3, PageSize.SIZE_4K));
        assertEquals(TagKind.RLE, policy.choose(62, 3, PageSize.SIZE_4K));   // 126 bytes < 128
        assertEquals(TagKind.PACKED, policy.choose(63, 3, PageSize.SIZE_4K)); // 128 bytes, not smaller
    }

    @Test
    void shouldRejectRunsThatDoNotCoverThePage() {
        ByteBuf wire = Unpooled.buffer();
        wire.writeShortLE(2).writeShortLE((100 - 1) << 4 | 3).writeShortLE((100 - 1) << 4 | 4);

        assertEquals(-1, TagRle.validate(wire, 0, wire.readableBytes(), PageSize.SIZE_4K.granules()));
    }

    @Test
    void shouldRejectUniformTagAboveFifteen() {
        ByteBuf wire = Unpooled.wrappedBuffer(new byte[] {(byte) 0x13});

        assertEquals(-1, PageTagCodec.validate(TagKind.UNIFORM, wire, 0, 1, PageSize.SIZE_4K));
    }

    private static byte[] filled(int n, int value) {
        return pattern(n, i -> value);
    }

    private static byte[] pattern(int n, java.util.function.IntUnaryOperator tagAt) {
        byte[] tags = new byte[n];
        for (int i = 0; i < n; i++) {
            tags[i] = (byte) tagAt.applyAsInt(i);
        }
        return tags;
    }

    static byte[] runs(int n, Random random, int maxRun) {
        byte[] tags = new byte[n];
        int i = 0;
        while (i < n) {
            int length = Math.min(n - i, 1 + random.nextInt(maxRun));
            byte tag = (byte) random.nextInt(16);
            for (int j = 0; j < length; j++) {
                tags[i + j] = tag;
            }
            i += length;
        }
        return tags;
    }
}
