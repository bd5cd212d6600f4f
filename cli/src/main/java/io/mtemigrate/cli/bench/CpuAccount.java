package io.mtemigrate.cli.bench;

import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetListener;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where every core-second of a warm migration goes, per side and per job: 1 GiB idle guests with random data and
 * tags migrated one after another in one JVM (the first ones warm the JIT up and are not counted), the CPU time of
 * every thread of the process split into the thread groups below, in core-seconds per 10^9 bytes on the wire,
 * user and system apart. Threads are sampled every 5 ms, so that those that end with the migration are counted.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp cli/target/mte-migrate.jar io.mtemigrate.cli.bench.CpuAccount 4 4</pre>
 */
public final class CpuAccount {
    /** Thread name prefixes (as Linux keeps them: 15 characters) and what those threads do. */
    private static final Map<String, String> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("src-migration", "source: migration thread (CRC32C pass, frames, COPY_TAGS, dirty log, verify)");
        GROUPS.put("src-io", "source: event loops (gathering writes: the kernel's copy out of guest memory)");
        GROUPS.put("tgt-io", "target: event loops (landing reads into guest memory, checks, fingerprints)");
        GROUPS.put("tgt-accept", "target: accepting connections");
        GROUPS.put("ForkJoinPool", "source: parallel full digest after the switch-over");
        GROUPS.put("C2 CompilerThre", "JIT: C2");
        GROUPS.put("C1 CompilerThre", "JIT: C1");
        GROUPS.put("GC Thread", "GC");
        GROUPS.put("G1 ", "GC");
        GROUPS.put("VM Thread", "JVM: safepoints");
        GROUPS.put("cpu-sampler", "this measurement (reading /proc every 5 ms)");
    }

    private CpuAccount() {
    }

    public static void main(String[] args) throws Exception {
        int warmUp = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int counted = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        MachineSpec spec = new MachineSpec(1L << 30, PageSize.SIZE_4K, 2, true, Workload.IDLE, Fill.RANDOM, 7, 0, 0);
        Map<String, long[]> totals = new LinkedHashMap<>();
        long wireBytes = 0;
        long wallNanos = 0;
        for (int i = 1; i <= warmUp + counted; i++) {
            boolean count = i > warmUp;
            TargetConfig config = TargetConfig.loopback().withVms(new EmulatorVmFactory(true,
                    HostMemory.defaultDirectory(), spec.ramBytes(), spec.pageSize()));
            try (TargetServer server = TargetServer.start(config, TargetListener.CLOSE_ON_ARRIVAL);
                 SimulatedMachine guest = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
                guest.start();
                System.gc();
                var before = ThreadCpu.snapshot();
                long start = System.nanoTime();
                MigrationReport report;
                long wall;
                ThreadCpu.Sampler sampler = new ThreadCpu.Sampler(5);
                try (sampler) {
                    report = migrate(guest, server);
                    wall = System.nanoTime() - start;
                }
                var used = ThreadCpu.since(before, sampler.last());
                System.out.printf(Locale.ROOT, "migration %d%s: %s, %.0f MB/s%n", i, count ? "" : " (warm-up)",
                        report.getStatus(), report.getThroughputMbps());
                if (count) {
                    wireBytes += report.getBytesOnWire();
                    wallNanos += wall;
                    used.values().forEach(s -> {
                        long[] sum = totals.computeIfAbsent(group(s.name()), k -> new long[3]);
                        sum[0] += s.runNanos();
                        sum[1] += s.userTicks();
                        sum[2] += s.systemTicks();
                    });
                }
            }
        }
        print(totals, wireBytes, wallNanos);
    }

    private static MigrationReport migrate(SimulatedMachine guest, TargetServer server) throws InterruptedException {
        AtomicReference<MigrationReport> report = new AtomicReference<>();
        Thread thread = new Thread(() -> report.set(new SourceMigration(guest,
                new InetSocketAddress("127.0.0.1", server.port()), MigrationConfig.defaults(), ProgressListener.NONE)
                .run()), "src-migration");
        thread.start();
        thread.join();
        return report.get();
    }

    private static String group(String thread) {
        return GROUPS.entrySet().stream().filter(e -> thread.startsWith(e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse("other threads");
    }

    private static void print(Map<String, long[]> totals, long wireBytes, long wallNanos) {
        double gb = wireBytes / 1e9;
        System.out.printf(Locale.ROOT, "%n%.2f GB on the wire in %.2f s of migration: %.0f MB/s%n", gb,
                wallNanos / 1e9, wireBytes / 1e6 / (wallNanos / 1e9));
        System.out.printf(Locale.ROOT, "%-88s %8s %6s %6s%n", "core-seconds per GB", "total", "user", "sys");
        long all = 0;
        for (var e : totals.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .toList()) {
            long[] t = e.getValue();
            all += t[0];
            double ticks = Math.max(1, t[1] + t[2]);
            double total = t[0] / 1e9 / gb;
            System.out.printf(Locale.ROOT, "%-88s %8.3f %6.3f %6.3f%n", e.getKey(), total, total * t[1] / ticks,
                    total * t[2] / ticks);
        }
        System.out.printf(Locale.ROOT, "%-88s %8.3f%n", "all threads", all / 1e9 / gb);
    }
}
