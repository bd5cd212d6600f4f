package io.mtemigrate.tagstream.frame;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mtemigrate.tagstream.PageSize;
import io.mtemigrate.tagstream.compress.Compression;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Tag bytes on the wire as a fraction of page bytes, for the three patterns of issue 3. Run as a
 * test (asserts the goals) or as a main (prints the table for BENCHMARKS.md).
 */
class TagOverheadTest {

    private static final int RUN_BYTES = 16 << 20;
    private static final int BATCH_BYTES = 256 << 10;

    enum Pattern { RANDOM, ALLOCATOR_UNIFORM, ALLOCATOR_LOG_UNIFORM, ZERO }

    public static void main(String[] args) {
        System.out.println("pattern, page size, tag encoding, tag bytes / page bytes, 1/x, header bytes / page bytes");
        for (Pattern pattern : Pattern.values()) {
            for (PageSize size : PageSize.values()) {
                for (boolean zstd : new boolean[] {false, true}) {
                    double[] r = measure(pattern, size, zstd);
                    System.out.printf(Locale.ROOT, "%s, %d, %s, %.6f, %s, %.6f%n", pattern, size.bytes(),
                            zstd ? "per-page + zstd tag section" : "per-page (zero/uniform/RLE/packed)", r[0],
                            r[0] == 0 ? "inf" : String.format(Locale.ROOT, "%.0f", 1 / r[0]), r[1]);
                }
            }
        }
    }

    @Test
    void shouldMeetTheTagOverheadGoals() {
        for (PageSize size : PageSize.values()) {
            assertTrue(measure(Pattern.RANDOM, size, false)[0] <= 1.0 / 32, "random, " + size);
            double uniform = measure(Pattern.ALLOCATOR_UNIFORM, size, false)[0];
            assertTrue(uniform <= 1.0 / 200, "allocator-like, uniform blocks, " + size + ": 1/" + Math.round(1 / uniform));
            double logUniform = measure(Pattern.ALLOCATOR_LOG_UNIFORM, size, false)[0];
            assertTrue(logUniform <= 1.0 / 200,
                    "allocator-like, log-uniform blocks, " + size + ": 1/" + Math.round(1 / logUniform));
            assertTrue(measure(Pattern.ZERO, size, false)[0] == 0, "zero, " + size);
        }
    }

    /** Returns {tag bytes / page bytes, header bytes / page bytes} over a 16 MiB run. */
    static double[] measure(Pattern pattern, PageSize size, boolean zstdTags) {
        int pages = RUN_BYTES / size.bytes();
        ByteBuffer ram = ByteBuffer.allocateDirect(RUN_BYTES);
        ByteBuffer tags = ByteBuffer.allocateDirect(RUN_BYTES / 16);
        Random random = new Random(42);
        for (int i = 0; i < RUN_BYTES; i += 8) {
            ram.putLong(i, random.nextLong() | 1); // never a zero page: only tags vary
        }
        fillTags(pattern, tags, random);
        EncoderConfig config = EncoderConfig.defaults()
                .withTagSectionCompression(zstdTags ? Compression.zstd(3) : Compression.none());
        BatchCounters total = new BatchCounters();
        int perBatch = BATCH_BYTES / size.bytes();
        try (PageBatchEncoder encoder = new PageBatchEncoder(config)) {
            for (int first = 0; first < pages; first += perBatch) {
                encoder.encode(ByteBufAllocator.DEFAULT, 0, 0, first, perBatch, size.bytes(), ram, first * size.bytes(),
                        tags, first * size.granules()).release();
                total.add(encoder.lastBatch());
            }
        }
        return new double[] {(double) total.tagBytes() / RUN_BYTES, (double) total.headerBytes() / RUN_BYTES};
    }

    private static void fillTags(Pattern pattern, ByteBuffer tags, Random random) {
        int granules = tags.capacity();
        int previous = 0;
        for (int g = 0; g < granules; ) {
            int block = switch (pattern) {
                case RANDOM -> 1;
                case ZERO -> granules;
                // Blocks of 16 B .. 4 KiB (1 .. 256 granules), uniform in size...
                case ALLOCATOR_UNIFORM -> 1 + random.nextInt(256);
                // ...or log-uniform: as many 16..32 B blocks as 2..4 KiB ones.
                case ALLOCATOR_LOG_UNIFORM -> (int) Math.pow(2, random.nextDouble() * 8);
            };
            int tag;
            if (pattern == Pattern.ZERO) {
                tag = 0;
            } else if (pattern == Pattern.RANDOM) {
                tag = random.nextInt(16);
            } else {
                // Like an allocator using IRG with the previous tag excluded: neighbours differ.
                do {
                    tag = 1 + random.nextInt(15);
                } while (tag == previous);
            }
            previous = tag;
            for (int i = 0; i < block && g < granules; i++, g++) {
                tags.put(g, (byte) tag);
            }
        }
    }
}
