package io.mtemigrate.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;

import java.nio.ByteBuffer;
import java.util.stream.LongStream;

/**
 * One-shot timings of guest memory as a VMM sees it, too coarse for JMH to add much: finding the data of an
 * all-hole 8 GiB memory (one {@code SEEK_DATA}, and one per 4 KiB page as a per-page scan would), and prefaulting
 * 1 GiB with {@code MADV_POPULATE_WRITE} against the Java touch loop it replaced. Run with
 * {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar io.mtemigrate.bench.HostMemoryTimings}.
 */
public final class HostMemoryTimings {
    private HostMemoryTimings() {
    }

    public static void main(String[] args) {
        try (HostMemory memory = HostMemory.anonymous(8L << 30, PageSize.SIZE_4K)) {
            for (int run = 0; run < 3; run++) {
                long start = System.nanoTime();
                long found = memory.nextData(0);
                long oneCall = System.nanoTime() - start;
                start = System.nanoTime();
                long data = 0;
                for (long offset = 0; offset < memory.size(); offset += 4096) {
                    if (memory.nextData(offset) < offset + 4096) {
                        data++;
                    }
                }
                long perPage = System.nanoTime() - start;
                System.out.printf("8 GiB all holes: nextData(0) = %d in %.1f us; per 4 KiB page: %d calls, %d data,"
                                + " %.0f ms (%.0f ns a call)%n", found, oneCall / 1e3, memory.size() / 4096, data,
                        perPage / 1e6, (double) perPage / (memory.size() / 4096));
            }
        }
        for (int run = 0; run < 2; run++) {
            try (HostMemory memory = HostMemory.anonymous(1L << 30, PageSize.SIZE_4K)) {
                System.out.printf("prefault 1 GiB (MADV_POPULATE_WRITE, parallel): %d ms%n", memory.prefault());
            }
            try (HostMemory memory = HostMemory.anonymous(1L << 30, PageSize.SIZE_4K)) {
                System.out.printf("prefault 1 GiB (the old Java touch loop, parallel): %d ms%n", touchLoop(memory));
            }
        }
    }

    /** What prefault did before: read each 4 KiB page's first long, write the zero back, data then tags. */
    private static long touchLoop(HostMemory memory) {
        long start = System.nanoTime();
        long size = memory.size();
        LongStream.range(0, (size + (64L << 20) - 1) >>> 26).parallel().forEach(block -> {
            long end = Math.min(size, (block + 1) << 26);
            for (long offset = block << 26; offset < end; offset += 4096) {
                ByteBuffer chunk = memory.chunk(offset);
                int at = HostMemory.offsetInChunk(offset);
                if (chunk.getLong(at) == 0) {
                    chunk.putLong(at, 0);
                }
            }
            for (long offset = block << 26; offset < end; offset += 4096 << 4) {
                if (memory.tag(offset) == 0) {
                    memory.setTag(offset, 0);
                }
            }
        });
        return (System.nanoTime() - start) / 1_000_000;
    }
}
