package io.mtemigrate.bench;

import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
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
 * copyMteTags over 16 MiB of tagged guest RAM per call, in both directions, next to a plain copy of the same
 * number of tag bytes (1 MiB) in the same run: the ratio says what the ioctl's checks and page walk cost.
 * Throughput in guest bytes per second is 16 MiB times the ops/s figure.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CopyMteTagsBenchmark {
    static final long GUEST_BYTES = 16L << 20;

    @Param({"4K", "16K", "64K"})
    String pageSize;

    private SimulatedMachine machine;
    private ByteBuffer tags;
    private ByteBuffer plainSource;

    @Setup(Level.Trial)
    public void setUp() {
        PageSize ps = PageSize.valueOf("SIZE_" + pageSize);
        machine = SimulatedMachine.boot(EmulatedKvm.withMte(),
                new MachineSpec(GUEST_BYTES, ps, 1, true, Workload.IDLE, Fill.RANDOM, 1, 0, 0));
        tags = ByteBuffer.allocateDirect((int) (GUEST_BYTES >>> 4)).order(ByteOrder.LITTLE_ENDIAN);
        plainSource = ByteBuffer.allocateDirect(tags.capacity()).order(ByteOrder.LITTLE_ENDIAN);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    public long fromGuest() {
        return machine.vm().copyMteTags(MachineSpec.RAM_BASE, GUEST_BYTES, tags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
    }

    @Benchmark
    public long toGuest() {
        return machine.vm().copyMteTags(MachineSpec.RAM_BASE, GUEST_BYTES, tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
    }

    /** The yardstick: memcpy of the same number of tag bytes. */
    @Benchmark
    public ByteBuffer plainCopyOfTheSameTagBytes() {
        return tags.put(0, plainSource, 0, plainSource.capacity());
    }
}
