package io.mtemigrate.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG over a 1 GiB slot of 4 KiB pages (262,144 bits), all pages dirty. */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DirtyLogBenchmark {
    private KvmVm manual;
    private KvmVm fetchAndClear;
    private HostMemory manualMemory;
    private HostMemory plainMemory;
    private long[] bitmap;
    private long[] allSet;

    @Setup(Level.Trial)
    public void setUp() {
        PageSize ps = PageSize.SIZE_4K;
        long size = 1L << 30;
        manual = new EmulatedKvm(true).createVm(ps);
        manual.enableCap(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 3);
        manualMemory = HostMemory.anonymous(size, ps);
        manual.setUserMemoryRegion(new UserMemoryRegion(0, KvmConstants.KVM_MEM_LOG_DIRTY_PAGES, 0x4000_0000L, size, manualMemory, 0));
        fetchAndClear = new EmulatedKvm(true).createVm(ps);
        plainMemory = HostMemory.anonymous(size, ps);
        fetchAndClear.setUserMemoryRegion(new UserMemoryRegion(0, KvmConstants.KVM_MEM_LOG_DIRTY_PAGES, 0x4000_0000L, size, plainMemory, 0));
        bitmap = new long[(int) (size / ps.bytes() / 64)];
        allSet = new long[bitmap.length];
        java.util.Arrays.fill(allSet, -1L);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manual.close();
        fetchAndClear.close();
        manualMemory.close();
        plainMemory.close();
    }

    /** Manual protect: GET then CLEAR of every bit GET returned; re-dirties all pages for the next call. */
    @Benchmark
    public long[] getAndClearManualProtect() {
        manual.getDirtyLog(0, bitmap);
        manual.clearDirtyLog(0, 0, bitmap.length * 64, bitmap);
        manual.clearDirtyLog(0, 0, 0, bitmap);
        return bitmap;
    }

    /** Without manual protect GET fetches and clears atomically. */
    @Benchmark
    public long[] getWithFetchAndClear() {
        fetchAndClear.getDirtyLog(0, bitmap);
        return bitmap;
    }
}
