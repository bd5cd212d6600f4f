package io.mtemigrate.bench;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.VmDigests;
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

import java.util.concurrent.TimeUnit;

/** The full RAM+tags digest of a 256 MiB MTE guest with random data and tags; GB/s = 0.268 x ops/s. */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DigestBenchmark {
    static final long RAM = 256L << 20;

    @Param({"4K", "64K"})
    String pageSize;

    private SimulatedMachine machine;

    @Setup(Level.Trial)
    public void setUp() {
        machine = SimulatedMachine.boot(EmulatedKvm.withMte(), new MachineSpec(RAM, PageSize.valueOf("SIZE_" + pageSize),
                1, true, Workload.IDLE, Fill.RANDOM, 1, 0, 0));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    public long ramDigest() {
        return VmDigests.ram(machine.vm());
    }
}
