package io.mtemigrate.cli;

import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.Destination;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "source", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boots a guest, starts it, and migrates it live to a listening target.",
                "On success the guest runs on the target; on failure it runs on here to the end of its steps and the"
                        + " report gives its final digest.",
                "Exit status: 0 when the migration completed and verified, 1 when it failed, 2 for usage errors."})
final class SourceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--connect", paramLabel = "HOST:PORT", required = true, converter = Converters.Address.class,
            description = "The target to migrate to.")
    HostPort connect;

    @Mixin
    TlsOptions tls;
    @Mixin
    VmOptions vm;
    @Mixin
    MigrationOptions migration;
    @Mixin
    OutputOptions output;

    @Option(names = "--no-warm-up", negatable = false, description = {"Do not migrate a 64 MiB guest within this"
            + " process before connecting. That warm-up lets the JIT compile the data path before it carries this"
            + " guest: in a fresh process the compilers otherwise take about half of the CPU during the first"
            + " gigabyte. It costs about a second of start-up, printed as it happens."})
    boolean noWarmUp;

    @Override
    public Integer call() throws Exception {
        migration.requirePostcopyPossible(spec.commandLine(), vm.backend);
        GuestPlan guest = vm.plan(spec.commandLine(), null);
        MigrationConfig config = migration.config(spec.commandLine());
        output.requireWritable(spec.commandLine());
        tls.requireAuthenticationBeyondLoopback(spec.commandLine(), connect, "--connect " + connect);
        MutualTls clientTls = tls.client(spec.commandLine());
        Destination destination = clientTls == null ? Destination.target(connect.address())
                : Destination.target(connect.address(), clientTls);
        if (!noWarmUp && JitWarmUp.enabled()) {
            new Console(output).say("warmed up the data path on a 64 MiB guest in %d ms",
                    JitWarmUp.run(config.channels(), config.postcopy().armed()));
        }
        return migrate(guest, config, destination, "migrating to " + connect
                + (clientTls == null ? "" : " over mutual TLS"), output);
    }

    /** Boots, migrates to {@code destination}, reports; shared with record. */
    static int migrate(GuestPlan guest, MigrationConfig config, Destination destination, String what,
                       OutputOptions output) throws Exception {
        Console console = new Console(output);
        console.say("booting a %s", guest.describe());
        try (MigratableVm source = guest.boot(HostMemory.defaultDirectory())) {
            source.start();
            console.say("%s", what);
            ProgressPrinter progress = console.progress();
            SourceMigration run = new SourceMigration(source, destination, config,
                    progress == null ? ProgressListener.NONE : progress);
            return Cancellation.around(run, () -> {
                MigrationReport report = run.run();
                if (progress != null) {
                    progress.finish();
                }
                if (report.getStatus().equals("failed") && !source.vcpusPaused() && guest.steps() == 0) {
                    console.say("the guest kept running here until now: with --steps 0 it has no end to run to");
                } else if (report.getStatus().equals("failed") && !source.vcpusPaused()) {
                    console.say("the guest keeps running here; letting it finish its steps");
                    report = report.toBuilder()
                            .setFinalDigest(RamDigest.hex(Guests.runToEnd(source, Duration.ofHours(1)))).build();
                }
                output.write(report);
                return report.getStatus().equals("completed") ? 0 : 1;
            });
        }
    }
}
