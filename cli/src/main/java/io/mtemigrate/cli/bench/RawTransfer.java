package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The yardstick a migration is measured against: the fastest honest transfer of the same number of bytes that
 * this machine allows. Over as many loopback connections as the migration uses (blocking NIO, TCP_NODELAY), each
 * sender reads every 256 KiB batch of the source guest's own memory once, as the migration's fingerprint pass does,
 * then hands that slice of the mapping to the kernel in one gathering write; each receiver reads straight into its
 * own mapping of the same size, committed beforehand as the bench's target commits its memory. No framing, no
 * headers, no copies in user space: what is left is the socket's two kernel copies and one read of each byte.
 */
public final class RawTransfer {
    private static final long SPARE_GUEST_SEED = 0x5EED;

    private RawTransfer() {
    }

    /**
     * A transfer's figures.
     *
     * @param bytes           bytes the receivers read from their sockets
     * @param channels        connections the bytes were spread over
     * @param cpuSecondsPerGB CPU time of this process per 10^9 bytes, NaN when too short to measure
     */
    public record Result(long bytes, int channels, double bytesPerSecond, double cpuSecondsPerGB) {
    }

    /**
     * Moves {@code bytes} of {@code source} (walking it again from the start when it is smaller) into fresh
     * memory of the same shape, over {@code channels} connections and, when that is more, over one; gives the
     * faster. With fewer cores than sender and receiver threads, one connection can be the faster, and the
     * yardstick is the best this machine does, not the best at the migration's channel count.
     */
    public static Result run(List<HostMemory> source, long bytes, int channels) throws IOException, InterruptedException {
        List<HostMemory> target = new ArrayList<>();
        try {
            for (HostMemory memory : source) {
                HostMemory copy = HostMemory.anonymous(memory.size(), memory.pageSize());
                target.add(copy);
                copy.prefault();
            }
            Result best = transfer(source, target, bytes, channels);
            if (channels > 1) {
                Result single = transfer(source, target, bytes, 1);
                best = single.bytesPerSecond() > best.bytesPerSecond() ? single : best;
            }
            return best;
        } finally {
            target.forEach(HostMemory::close);
        }
    }

    /** Moves {@code bytes} of {@code from} into {@code to}, region by region at the same offsets. */
    static Result transfer(List<HostMemory> from, List<HostMemory> to, long bytes, int channels)
            throws IOException, InterruptedException {
        if (channels < 1) {
            throw new IllegalArgumentException("a raw transfer needs at least one channel, not " + channels);
        }
        long[] sizes = from.stream().mapToLong(HostMemory::size).toArray();
        if (!java.util.Arrays.equals(sizes, to.stream().mapToLong(HostMemory::size).toArray())) {
            throw new IllegalArgumentException("the receiving memory must have the regions of the sending memory");
        }
        RawBatches batches = new RawBatches(sizes, bytes);
        List<SocketChannel> sockets = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(2 * channels, Thread.ofPlatform().daemon()
                .name("raw-transfer-", 0).factory());
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel[] senders = new SocketChannel[channels];
            SocketChannel[] receivers = new SocketChannel[channels];
            for (int i = 0; i < channels; i++) {
                senders[i] = connected(SocketChannel.open(listener.getLocalAddress()), sockets);
                // Accepted in the order connected: the kernel queues each connection as its handshake completes.
                receivers[i] = connected(listener.accept(), sockets);
            }
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong received = new AtomicLong();
            ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(threads);
            for (int i = 0; i < channels; i++) {
                int channel = i;
                done.submit(() -> {
                    go.await();
                    send(batches, channel, channels, from, senders[channel]);
                    return null;
                });
                done.submit(() -> {
                    go.await();
                    received.addAndGet(receive(batches, channel, channels, to, receivers[channel]));
                    return null;
                });
            }
            long cpuBefore = ProcessCpu.nanos();
            long start = System.nanoTime();
            go.countDown();
            awaitAll(done, 2 * channels, sockets);
            double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            long cpuNanos = ProcessCpu.nanos() - cpuBefore;
            return new Result(received.get(), channels, received.get() / seconds,
                    ProcessCpu.secondsPerGB(cpuNanos, received.get()));
        } finally {
            closeAll(sockets);
            threads.shutdownNow();
        }
    }

    private static SocketChannel connected(SocketChannel socket, List<SocketChannel> sockets) throws IOException {
        sockets.add(socket);
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return socket;
    }

    /** Waits for every side; the first failure closes all sockets, so that no side waits for a peer that is gone. */
    private static void awaitAll(ExecutorCompletionService<Void> done, int tasks, List<SocketChannel> sockets)
            throws IOException, InterruptedException {
        Throwable first = null;
        for (int i = 0; i < tasks; i++) {
            try {
                done.take().get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause();
                    closeAll(sockets);
                }
            }
        }
        if (first instanceof IOException io) {
            throw new IOException("the raw transfer failed: " + io.getMessage(), io);
        }
        if (first != null) {
            throw new IllegalStateException("the raw transfer failed: " + first, first);
        }
    }

    private static void closeAll(List<SocketChannel> sockets) {
        for (SocketChannel socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is best effort: the transfer's outcome is already decided.
            }
        }
    }

    private static void send(RawBatches batches, int channel, int channels, List<HostMemory> from, SocketChannel out)
            throws IOException {
        ByteBuffer[] gather = new ByteBuffer[1];
        long[] sink = {0};
        batches.forChannel(channel, channels, (region, offset, length) -> {
            HostMemory memory = from.get(region);
            ByteBuffer slice = memory.chunk(offset).slice(HostMemory.offsetInChunk(offset), length);
            sink[0] += touch(slice);
            gather[0] = slice;
            while (slice.hasRemaining()) {
                out.write(gather);
            }
        });
        out.shutdownOutput();
        if (sink[0] == 42) {
            // Never true in practice; it keeps the touch pass from being optimised away.
            Thread.onSpinWait();
        }
    }

    /** Reads every byte once, eight at a time, as a fingerprint of the batch would. */
    private static long touch(ByteBuffer batch) {
        MemorySegment bytes = MemorySegment.ofBuffer(batch);
        long sum = 0;
        long end = bytes.byteSize() & ~7L;
        for (long i = 0; i < end; i += Long.BYTES) {
            sum += bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        return sum;
    }

    private static long receive(RawBatches batches, int channel, int channels, List<HostMemory> to, SocketChannel in)
            throws IOException {
        long[] total = {0};
        batches.forChannel(channel, channels, (region, offset, length) -> {
            HostMemory memory = to.get(region);
            ByteBuffer slice = memory.chunk(offset).slice(HostMemory.offsetInChunk(offset), length);
            while (slice.hasRemaining()) {
                int n = in.read(slice);
                if (n < 0) {
                    throw new EOFException("the sender closed channel " + channel + " after " + total[0] + " bytes");
                }
                total[0] += n;
            }
        });
        return total[0];
    }

    /** @return bytes per second of a single-threaded copy between two warm direct buffers */
    public static double memoryCopy(long bytes) {
        ByteBuffer from = ByteBuffer.allocateDirect(64 << 20);
        ByteBuffer to = ByteBuffer.allocateDirect(64 << 20);
        to.put(0, from, 0, from.capacity());
        long start = System.nanoTime();
        for (long done = 0; done < bytes; done += from.capacity()) {
            to.put(0, from, 0, (int) Math.min(from.capacity(), bytes - done));
        }
        return bytes / ((System.nanoTime() - start) / 1e9);
    }

    /** By hand: {@code java -cp mte-migrate.jar io.mtemigrate.cli.bench.RawTransfer BYTES CHANNELS}. */
    public static void main(String[] args) throws Exception {
        long bytes = Long.parseLong(args[0]);
        int channels = Integer.parseInt(args[1]);
        try (HostMemory guest = HostMemory.anonymous(bytes, PageSize.SIZE_4K)) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(SPARE_GUEST_SEED);
            for (long offset = 0; offset < bytes; offset += Long.BYTES) {
                guest.putLong(offset, random.nextLong());
            }
            for (int i = 0; i < 5; i++) {
                Result raw = run(List.of(guest), bytes, channels);
                System.out.printf("raw %.0f MB/s over %d (%.2f core-s/GB), memcpy %.0f MB/s%n",
                        raw.bytesPerSecond() / 1e6, raw.channels(), raw.cpuSecondsPerGB(), memoryCopy(bytes) / 1e6);
            }
        }
    }
}
