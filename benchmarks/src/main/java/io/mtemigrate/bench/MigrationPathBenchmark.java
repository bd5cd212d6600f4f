package io.mtemigrate.bench;

import io.mtemigrate.tagstream.FrameLimits;
import io.mtemigrate.tagstream.frame.EncoderConfig;
import io.mtemigrate.tagstream.frame.FrameDecoder;
import io.mtemigrate.tagstream.frame.PageBatch;
import io.mtemigrate.tagstream.frame.PageBatchEncoder;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
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
 * The path every page takes between two emulated MTE VMs of 64 MiB (random data, allocator-like tags), one
 * 256 KiB batch per op, walking the guest batch after batch. Send: COPY_TAGS FROM_GUEST over the batch, then
 * {@link PageBatchEncoder#encode} reading the pages straight from the guest mapping into a pooled frame, released
 * after. Receive: {@link FrameDecoder} (in an {@link EmbeddedChannel}) on a frame the source made, each page
 * written into the target's mapping, {@link PageBatch#decodeTags}, one COPY_TAGS TO_GUEST. No network, one thread:
 * GB/s of guest memory = 0.000262 x ops/s.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MigrationPathBenchmark {
    static final long GUEST_BYTES = 64L << 20;
    static final int BATCH_BYTES = 256 << 10;
    static final int BATCHES = (int) (GUEST_BYTES / BATCH_BYTES);

    @Param({"4K", "16K", "64K"})
    String pageSize;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private SimulatedMachine source;
    private SimulatedMachine target;
    private HostMemory sourceMemory;
    private HostMemory targetMemory;
    private int size;
    private int pages;
    private ByteBuffer sendTags;
    private ByteBuffer receiveTags;
    private PageBatchEncoder encoder;
    private ByteBuf[] frames;
    private EmbeddedChannel channel;
    private int nextSend;
    private int nextReceive;

    @Setup(Level.Trial)
    public void setUp() {
        PageSize ps = PageSize.valueOf("SIZE_" + pageSize);
        MachineSpec spec = new MachineSpec(GUEST_BYTES, ps, 1, true, Workload.IDLE, Fill.ALLOC, 1, 0, 0);
        source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec);
        target = SimulatedMachine.create(EmulatedKvm.withMte(), spec.layout());
        sourceMemory = source.vm().memslots().get(0).memory();
        targetMemory = target.vm().memslots().get(0).memory();
        size = ps.bytes();
        pages = BATCH_BYTES / size;
        sendTags = ByteBuffer.allocateDirect(BATCH_BYTES >>> 4).order(ByteOrder.LITTLE_ENDIAN);
        receiveTags = ByteBuffer.allocateDirect(BATCH_BYTES >>> 4).order(ByteOrder.LITTLE_ENDIAN);
        encoder = new PageBatchEncoder(EncoderConfig.defaults());
        frames = new ByteBuf[BATCHES];
        for (int b = 0; b < BATCHES; b++) {
            frames[b] = sendBatch(b);
        }
        channel = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULT));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf frame : frames) {
            frame.release();
        }
        channel.finishAndReleaseAll();
        encoder.close();
        source.close();
        target.close();
    }

    private ByteBuf sendBatch(int batch) {
        KvmVm vm = source.vm();
        long offset = (long) batch * BATCH_BYTES;
        vm.copyMteTags(MachineSpec.RAM_BASE + offset, BATCH_BYTES, sendTags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        return encoder.encode(alloc, 0, 1, offset / size, pages, size, sourceMemory.chunk(offset),
                HostMemory.offsetInChunk(offset), sendTags, 0);
    }

    @Benchmark
    public int send() {
        int batch = nextSend;
        nextSend = (batch + 1) % BATCHES;
        ByteBuf frame = sendBatch(batch);
        try {
            return frame.readableBytes();
        } finally {
            frame.release();
        }
    }

    @Benchmark
    public long receive() {
        int b = nextReceive;
        nextReceive = (b + 1) % BATCHES;
        channel.writeInbound(frames[b].retainedDuplicate());
        PageBatch batch = channel.readInbound();
        try {
            UserMemoryRegion slot = target.vm().memslots().get(batch.slot());
            long offset = batch.firstPage() * size;
            ByteBuffer chunk = targetMemory.chunk(offset);
            int at = HostMemory.offsetInChunk(offset);
            for (int i = 0; i < batch.pageCount(); i++) {
                batch.copyPageData(i, chunk, at + i * size, true);
            }
            batch.decodeTags(receiveTags, 0);
            return target.vm().copyMteTags(slot.guestPhysAddr() + offset, (long) batch.pageCount() * size, receiveTags,
                    KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
        } finally {
            batch.release();
        }
    }
}
