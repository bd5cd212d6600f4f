package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
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
import java.util.Locale;

/**
 * How a process warms up: N migrations of a 1 GiB idle guest with random data and tags, one after the other in
 * one JVM, each into a fresh target that committed its memory first (as {@code --prealloc} does), printing each
 * one's throughput. The first is what a fresh pair of processes sees; the later ones show how long the JIT takes.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp cli/target/mte-migrate.jar io.mtemigrate.cli.bench.RepeatedMigrations 10</pre>
 */
public final class RepeatedMigrations {
    private RepeatedMigrations() {
    }

    public static void main(String[] args) throws Exception {
        int migrations = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        MachineSpec spec = new MachineSpec(1L << 30, PageSize.SIZE_4K, 2, true, Workload.IDLE, Fill.RANDOM, 7, 0, 0);
        TargetListener discard = new TargetListener() {
            @Override
            public void onResumed(ArrivedVm vm) {
                vm.machine().close();
            }
        };
        for (int i = 1; i <= migrations; i++) {
            TargetConfig config = TargetConfig.loopback().withVms(new EmulatorVmFactory(true, HostMemory.defaultDirectory(),
                    spec.ramBytes(), spec.pageSize()));
            try (TargetServer server = TargetServer.start(config, discard);
                 SimulatedMachine guest = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
                guest.start();
                MigrationReport report = new SourceMigration(guest, new InetSocketAddress("127.0.0.1", server.port()),
                        MigrationConfig.defaults(), ProgressListener.NONE).run();
                System.out.printf(Locale.ROOT, "migration %d: %s, %.0f MB/s, %d ms (verify %d ms)%n", i,
                        report.getStatus(), report.getThroughputMbps(), report.getTotalTimeMs(), report.getVerifyMs());
            }
        }
    }
}
