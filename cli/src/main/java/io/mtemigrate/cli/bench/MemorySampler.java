package io.mtemigrate.cli.bench;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples heap and direct memory every few milliseconds while a migration runs, so the report can say what the
 * migration costs beyond guest RAM (which lives in mapped files, counted by neither).
 */
final class MemorySampler implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
    private final AtomicLong peak = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    MemorySampler() {
        thread = Thread.ofPlatform().daemon().name("memory-sampler").start(() -> {
            while (running) {
                peak.accumulateAndGet(inUse(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
        });
    }

    long inUse() {
        long direct = 0;
        for (BufferPoolMXBean pool : pools) {
            if (pool.getName().equals("direct")) {
                direct += pool.getMemoryUsed();
            }
        }
        return memory.getHeapMemoryUsage().getUsed() + direct
                + Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
    }

    long peak() {
        return peak.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
