package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** The benchmark plan: which cases to run, each next to the raw transfer of its bytes, and the sweeps. */
public final class Bench {
    private final long ram;
    private final int channels;
    private final int repeat;
    private final long dirtyRate;
    private final boolean quick;
    private final boolean freshPair;
    private final BiConsumer<String, Object[]> say;

    /** @param freshPair also migrate between two new processes of this CLI (the JIT's share) */
    public Bench(long ram, int channels, int repeat, long dirtyRate, boolean quick, boolean freshPair,
                 BiConsumer<String, Object[]> say) {
        this.ram = ram;
        this.channels = channels;
        this.repeat = repeat;
        this.dirtyRate = dirtyRate;
        this.quick = quick;
        this.freshPair = freshPair;
        this.say = say;
    }

    /**
     * All figures of a bench run.
     *
     * @param freshPair the migration between new processes, null when it was not asked for
     */
    public record Results(List<CaseResult> cases, double memcpyMBps, Iperf.Result iperf, FreshPair.Result freshPair) {
        public void printTable(PrintStream out) {
            BenchOutput.table(this, out);
        }

        public String json() {
            return BenchOutput.json(this);
        }

        public String html() {
            return BenchOutput.html(this);
        }

        public boolean allCompleted() {
            return cases.stream().allMatch(CaseResult::allCompleted) && (freshPair == null || freshPair.completed());
        }

        /** The warm case the fresh pair repeats: same guest, same bytes, same channels. */
        CaseResult freshPairReference() {
            return cases.getFirst();
        }
    }

    public Results run(List<String> sweeps) throws Exception {
        List<BenchCase> plan = new ArrayList<>();
        PageSize ps = PageSize.SIZE_4K;
        plan.add(BenchCase.idle("idle random", ram, ps, Fill.RANDOM, channels));
        plan.add(BenchCase.idle("idle alloc tags", ram, ps, Fill.ALLOC, channels));
        plan.add(BenchCase.idle("idle zero", ram, ps, Fill.ZERO, channels));
        plan.add(BenchCase.live("live hotset " + dirtyRate / (1 << 20) + "M/s", ram, ps, Workload.HOTSET, dirtyRate,
                channels, true));
        if (sweeps.contains("dirty-rate")) {
            for (long rate : quick ? new long[] {0, 16L << 20} : new long[] {0, 16L << 20, 64L << 20, 256L << 20}) {
                for (boolean converge : new boolean[] {true, false}) {
                    // A stream dirties pages at the rate it writes bytes; random 16-byte writes would dirty
                    // 256 times as many page bytes as they write.
                    plan.add(BenchCase.live("stream " + rate / (1 << 20) + "M/s" + (converge ? "" : " no-ac"), ram, ps,
                            rate == 0 ? Workload.IDLE : Workload.STREAM, rate, channels, converge));
                }
            }
        }
        if (sweeps.contains("ram")) {
            for (long size : quick ? new long[] {16L << 20, 32L << 20, 64L << 20}
                    : new long[] {256L << 20, 1L << 30, 2L << 30, 4L << 30, 8L << 30}) {
                plan.add(BenchCase.idle("ram " + size / (1 << 20) + "M", size, ps, Fill.RANDOM, channels));
            }
        }
        if (sweeps.contains("channels")) {
            for (int n : new int[] {1, 2, 4}) {
                plan.add(BenchCase.idle("channels " + n, ram, ps, Fill.RANDOM, n));
            }
        }
        if (sweeps.contains("page-size")) {
            for (PageSize size : PageSize.values()) {
                plan.add(BenchCase.idle("page size " + size, ram, size, Fill.RANDOM, channels));
            }
        }
        // The first gigabytes a process migrates run partly before C2 has compiled the hot paths (the first 1 GiB
        // migration of a process is about a third slower than the fourth), and so does the first raw transfer:
        // warm both up and report neither.
        long warmUp = Math.min(ram, quick ? 64L << 20 : 1L << 30);
        for (int i = 0; i < (quick ? 1 : 3); i++) {
            say.accept("warm-up: run %d", new Object[] {i + 1});
            BenchRunner.run(BenchCase.idle("warm-up", warmUp, ps, Fill.RANDOM, channels),
                    (source, run) -> RawTransfer.run(guestMemory(source), warmUp, channels));
        }
        List<CaseResult> results = new ArrayList<>();
        for (BenchCase benchCase : plan) {
            List<BenchRun> runs = new ArrayList<>();
            RawTransfer.Result[] rawOfFirst = new RawTransfer.Result[1];
            for (int i = 0; i < repeat; i++) {
                say.accept("%s: run %d of %d", new Object[] {benchCase.name(), i + 1, repeat});
                // The raw transfer moves as many bytes as the first run put on the wire, out of that run's guest.
                runs.add(BenchRunner.run(benchCase, i > 0 ? BenchRunner.Afterwards.NOTHING : (source, run) ->
                        rawOfFirst[0] = RawTransfer.run(guestMemory(source),
                                Math.max(run.report().getBytesOnWire(), 1 << 20), benchCase.channels())));
            }
            RawTransfer.Result raw = rawOfFirst[0];
            results.add(new CaseResult(benchCase, runs, raw.bytesPerSecond() / 1e6, raw.cpuSecondsPerGB(), raw.channels()));
        }
        FreshPair.Result fresh = null;
        if (freshPair) {
            say.accept("idle random between fresh processes: one run", new Object[0]);
            fresh = FreshPair.forRam(ram).run(ram, channels);
        }
        int iperfSeconds = quick ? 1 : 5;
        say.accept("iperf3 -N for %d s", new Object[] {iperfSeconds});
        Iperf.Result iperf = new Iperf("iperf3").run(channels, iperfSeconds);
        return new Results(results, RawTransfer.memoryCopy(ram) / 1e6, iperf, fresh);
    }

    private static List<HostMemory> guestMemory(SimulatedMachine machine) {
        return machine.vm().memslots().stream().map(UserMemoryRegion::memory).toList();
    }
}
