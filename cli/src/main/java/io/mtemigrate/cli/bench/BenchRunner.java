package io.mtemigrate.cli.bench;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.target.TargetConfig;
import io.mtemigrate.target.TargetListener;
import io.mtemigrate.target.TargetServer;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.util.ArrayList;
import java.util.List;

/** Runs one benchmark case once: a fresh target (memory preallocated) and source, a migration, its figures. */
final class BenchRunner {
    private BenchRunner() {
    }

    static BenchRun run(BenchCase benchCase) throws InterruptedException {
        TargetConfig targetConfig = TargetConfig.loopback()
                .withPrealloc(benchCase.spec().ramBytes(), benchCase.spec().pageSize());
        List<long[]> rounds = new ArrayList<>();
        try (TargetServer target = TargetServer.start(targetConfig, TargetListener.CLOSE_ON_ARRIVAL);
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), benchCase.spec())) {
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
            return new BenchRun(report, target.preallocMillis(), peak, cpuNanos, rounds);
        }
    }
}
