package io.mtemigrate.cli;

import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Postcopy;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetListener;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.net.InetSocketAddress;

/**
 * Migrates a small guest within this process, over loopback, before a source connects or a target accepts: so
 * that the JIT compiles the send, landing and apply paths before they carry the user's guest. In a fresh process
 * the compilers otherwise take about half of both cores during the first gigabyte, and the migration with them.
 * What it costs comes before the migration and is reported; {@code --no-warm-up} leaves it out, and so does the
 * system property {@code mtemigrate.warmUp=false}, which the test suites set: they run many short commands in one
 * JVM, warm already, under Netty's paranoid leak detection, where a warm-up would take seconds each time.
 */
final class JitWarmUp {
    /** Enough batches for the per-batch methods to reach the optimising compiler. */
    private static final long GUEST_BYTES = 64L << 20;
    private static final int MIGRATIONS = 8;

    private JitWarmUp() {
    }

    /** Whether commands warm up unless told not to. */
    static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty("mtemigrate.warmUp", "true"));
    }

    /** @return how long it took, in milliseconds */
    static long run(int channels) throws InterruptedException {
        return run(channels, false);
    }

    /**
     * @param postcopy also warm the post-copy paths (the switch, the staged installs, the fault server): every other
     *                 warm-up migration is a post-copy from the start, whose switch runs in the downtime
     * @return how long it took, in milliseconds
     */
    static long run(int channels, boolean postcopy) throws InterruptedException {
        long start = System.nanoTime();
        MachineSpec spec = new MachineSpec(GUEST_BYTES, PageSize.SIZE_4K, 1, true, Workload.IDLE, Fill.RANDOM, 7, 0, 0);
        TargetListener discard = new TargetListener() {
            @Override
            public void onResumed(ArrivedVm vm) {
                vm.machine().close();
            }
        };
        try (TargetServer server = TargetServer.start(TargetConfig.loopback().withVms(new EmulatorVmFactory()), discard)) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            for (int i = 0; i < MIGRATIONS; i++) {
                try (SimulatedMachine guest = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
                    guest.start();
                    MigrationConfig config = MigrationConfig.defaults().withChannels(channels);
                    if (postcopy && i % 2 == 1) {
                        config = config.withPostcopy(Postcopy.of(Postcopy.When.START));
                    }
                    MigrationReport report = new SourceMigration(guest, address, config, ProgressListener.NONE).run();
                    if (!report.getStatus().equals("completed")) {
                        // A warm-up that fails says nothing about the real migration: leave it at that.
                        break;
                    }
                }
            }
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
