package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetListener;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.util.ArrayList;
import java.util.List;

/** Runs one benchmark case once: a fresh target (memory preallocated) and source, a migration, its figures. */
final class BenchRunner {
    /** What to do with the source after its migration, once the target is gone and while its memory is mapped. */
    @FunctionalInterface
    interface Afterwards {
        Afterwards NOTHING = (source, run) -> {
        };

        void accept(SimulatedMachine source, BenchRun run) throws Exception;
    }

    private BenchRunner() {
    }

    static BenchRun run(BenchCase benchCase) throws Exception {
        return run(benchCase, Afterwards.NOTHING);
    }

    static BenchRun run(BenchCase benchCase, Afterwards afterwards) throws Exception {
        EmulatorVmFactory vms = new EmulatorVmFactory(true, HostMemory.defaultDirectory(), benchCase.spec().ramBytes(),
                benchCase.spec().pageSize());
        TargetConfig targetConfig = TargetConfig.loopback().withVms(vms);
        TargetServer target = TargetServer.start(targetConfig, TargetListener.CLOSE_ON_ARRIVAL);
        SimulatedMachine source;
        try {
            source = SimulatedMachine.boot(EmulatedKvm.withMte(), benchCase.spec());
        } catch (RuntimeException | Error e) {
            target.close();
            throw e;
        }
        try (source) {
            BenchRun run;
            try (target) {
                run = migrate(benchCase, source, target, vms.preallocMillis());
            }
            afterwards.accept(source, run);
            return run;
        }
    }

    private static BenchRun migrate(BenchCase benchCase, SimulatedMachine source, TargetServer target, long preallocMillis)
            throws InterruptedException {
        List<long[]> rounds = new ArrayList<>();
        System.gc();
        source.start();
        MigrationConfig config = MigrationConfig.defaults().withChannels(benchCase.channels())
                .withAutoConverge(benchCase.autoConverge()).withMaxRounds(40);
        MigrationReport report;
        long peak;
        long cpuNanos;
        try (MemorySampler sampler = new MemorySampler()) {
            long baseline = sampler.inUse();
            int[] lastRound = {-1};
            long cpuBefore = ProcessCpu.nanos();
            report = new SourceMigration(source, target.address(), config, p -> {
                if (p.phase() != Phase.FIRST_PASS && p.round() != lastRound[0]) {
                    lastRound[0] = p.round();
                    rounds.add(new long[] {p.round(), p.bytesSent(), p.dirtyRate(), p.throttle()});
                }
            }).run();
            cpuNanos = ProcessCpu.nanos() - cpuBefore;
            peak = Math.max(0, sampler.peak() - baseline);
        }
        return new BenchRun(report, preallocMillis, peak, cpuNanos, rounds);
    }
}
