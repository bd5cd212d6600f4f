package io.mtemigrate.cli;

import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VmFactory;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.digest.RamDigest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boots a guest (an MTE guest on the emulator, or with --backend kvm a real KVM guest), migrates it live to a target in this process over loopback, lets it finish"
                + " its steps there, and checks it ended exactly where the same guest ends without a migration.",
                "Exit status: 0 when every check passed, 1 when the migration or a check failed, 2 for usage errors."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    VmOptions vm;
    @Mixin
    MigrationOptions migration;
    @Mixin
    MemoryOptions memory;
    @Mixin
    OutputOptions output;

    @picocli.CommandLine.Option(names = "--no-prealloc", description = "Let the target commit guest memory page by page"
            + " during the migration instead of before it (like QEMU without -mem-prealloc).")
    boolean noPrealloc;

    @Override
    public Integer call() throws Exception {
        // Before the plan, which refuses a KVM backend this host cannot run: the usage error comes first.
        migration.requirePostcopyPossible(spec.commandLine(), vm.backend);
        GuestPlan guest = vm.plan(spec.commandLine(), "demo waits for it to finish on the target");
        MigrationConfig config = migration.config(spec.commandLine());
        output.requireWritable(spec.commandLine());
        Path memoryDir = memory.directory(spec.commandLine());
        Console console = new Console(output);
        console.say("booting a %s", guest.describe());
        ArrivalQueue arrivals = new ArrivalQueue(null);
        MigrationReport report;
        // Only the emulator's target commits memory ahead; a KVM target's memslots fault in as pages land.
        boolean prealloc = !noPrealloc && guest.backend() == Backend.EMU;
        VmFactory vms = guest.backend().targetFactory(memoryDir, prealloc ? guest.ramBytes() : 0, guest.pageSize());
        long preallocMillis = vms instanceof EmulatorVmFactory emulator ? emulator.preallocMillis() : 0;
        TargetConfig targetConfig = TargetConfig.loopback().withVms(vms)
                .withRecoveryTimeout(config.postcopy().recoveryTimeout());
        try (TargetServer target = TargetServer.start(targetConfig, arrivals);
             MigratableVm source = guest.boot(memoryDir)) {
            if (prealloc) {
                console.say("the target committed %s of guest memory in %d ms", Units.bytes(guest.ramBytes()),
                        preallocMillis);
            }
            source.start();
            console.say("migrating to 127.0.0.1:%d over %d channel(s)", target.port(), config.channels());
            ProgressPrinter progress = console.progress();
            SourceMigration run = new SourceMigration(source, target.address(), config,
                    progress == null ? ProgressListener.NONE : progress);
            report = Cancellation.around(run, () -> {
                MigrationReport result = run.run().toBuilder().setPreallocMs(preallocMillis).build();
                if (progress != null) {
                    progress.finish();
                }
                if (!result.getStatus().equals("completed")) {
                    output.write(result);
                }
                return result;
            });
            if (!report.getStatus().equals("completed")) {
                return 1;
            }
            ArrivedVm arrived = arrivals.await(Duration.ofMinutes(1));
            try (MigratableVm migrated = arrived.machine()) {
                console.say("the guest runs on the target; letting it finish its steps");
                long finalDigest = Guests.runToEnd(migrated, Duration.ofHours(1));
                report = report.toBuilder().setFinalDigest(RamDigest.hex(finalDigest))
                        .setTagCheckFaults(report.getTagCheckFaults() + migrated.progress().tagCheckFaults()).build();
            }
        }
        console.say("running the same guest without a migration for reference");
        report = Verdicts.check(report.toBuilder()
                .setReferenceDigest(RamDigest.hex(guest.referenceDigest(memoryDir))).build());
        output.write(report);
        return report.getStatus().equals("completed") ? 0 : 1;
    }
}
