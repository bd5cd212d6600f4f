package io.mtemigrate.bench;

import io.mtemigrate.tagstream.ZeroScan;
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
 * {@link ZeroScan#isZero} page by page over 256 KiB of direct memory, as the frame encoder calls it. Zero pages are
 * the full scan (every byte read); random pages stop at their first 64 bytes, so that figure is the per-page call
 * cost. An op is 256 KiB of guest pages: GB/s = 0.000262 x ops/s.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ZeroScanBenchmark {
    @Param({"4K", "64K"})
    String pageSize;

    @Param({"ZERO", "RANDOM"})
    String content;

    private int size;
    private ByteBuf pages;

    @Setup(Level.Trial)
    public void setUp() {
        size = Integer.parseInt(pageSize.replace("K", "")) << 10;
        int bytes = TagCodecBenchmark.BATCH_BYTES;
        pages = Unpooled.directBuffer(bytes).writerIndex(bytes);
        pages.setZero(0, bytes);
        if (content.equals("RANDOM")) {
            TagPatterns.randomData(pages.nioBuffer(0, bytes), bytes, 42);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pages.release();
    }

    @Benchmark
    public int zeroPages() {
        int zero = 0;
        for (int at = 0; at < TagCodecBenchmark.BATCH_BYTES; at += size) {
            if (ZeroScan.isZero(pages, at, size)) {
                zero++;
            }
        }
        return zero;
    }
}
