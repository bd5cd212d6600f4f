package io.mtemigrate.cli;

import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VmFactory;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "target", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Listens for migrations. Each guest that arrives is verified, resumed, and run to the end of its"
                + " steps (or for --run-for); then its report is printed. A failed migration leaves no VM behind and"
                + " the target keeps listening.",
                "Exit status (with --once): 0 when the migration completed and verified, 1 when it failed;"
                        + " 2 for usage errors."})
final class TargetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7777", converter = Converters.ListenAddress.class,
            description = "Address to listen on; port 0 picks a free port (default: ${DEFAULT-VALUE}).")
    HostPort listen;

    @Option(names = "--once", description = "Exit after the first migration, whatever its outcome.")
    boolean once;

    @Option(names = "--run-for", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "Run an arrived guest for this long instead of to the end of its steps.")
    Duration runFor;

    @Option(names = "--prealloc", paramLabel = "SIZE", defaultValue = "0", converter = Converters.Size.class,
            description = "Commit this much guest memory at start, for the first VM that fits (like QEMU's -mem-prealloc).")
    long prealloc;

    @Option(names = "--prealloc-page-size", paramLabel = "4K|16K|64K", defaultValue = "4K", converter = Converters.Pages.class,
            description = "Page size of the VM the preallocated memory is for (default: ${DEFAULT-VALUE}).")
    io.mtemigrate.vmsim.PageSize preallocPageSize;

    @Option(names = "--backend", paramLabel = "emu|kvm", defaultValue = "emu", converter = Backend.Converter.class,
            description = {"What builds the arriving VMs: emu, the emulator (default), or kvm, this host's /dev/kvm."
                    + " A source of the other backend is refused in the handshake, before any page moves."})
    Backend backend;

    @Mixin
    IncomingLimits limits;
    @Mixin
    MemoryOptions memory;

    @Mixin
    TlsOptions tls;

    @Mixin
    OutputOptions output;

    @Option(names = "--no-warm-up", negatable = false, description = {"Do not migrate a 64 MiB guest within this"
            + " process before listening. That warm-up lets the JIT compile the landing and apply paths before they"
            + " carry a source's guest; it costs about a second of start-up, printed as it happens."})
    boolean noWarmUp;

    @Override
    public Integer call() throws Exception {
        tls.requireAuthenticationBeyondLoopback(spec.commandLine(), listen, "--listen " + listen);
        limits.check(spec.commandLine());
        output.requireWritable(spec.commandLine());
        java.nio.file.Path memoryDir = memory.directory(spec.commandLine());
        MutualTls serverTls = tls.server(spec.commandLine(), limits.handshakeTimeout);
        Console console = new Console(output);
        ArrivalQueue arrivals = new ArrivalQueue(console);
        if (backend == Backend.KVM && prealloc > 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prealloc applies to the emulator's"
                    + " VMs; a KVM VM's memory is committed as its pages land");
        }
        VmFactory vms;
        TargetServer server;
        try {
            vms = backend.targetFactory(memoryDir, prealloc, preallocPageSize);
            TargetConfig config = limits.applyTo(TargetConfig.loopback().withHost(listen.host()).withPort(listen.port()))
                    .withInsecure(tls.insecure).withTls(serverTls).withVms(vms);
            server = TargetServer.start(config, arrivals);
        } catch (InsufficientMemory e) {
            throw new CliException(e.getMessage(), e);
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        try (server) {
            // After binding, so that a port in use is said at once; a source that connects meanwhile just waits.
            if (!noWarmUp && JitWarmUp.enabled()) {
                console.say("warmed up the data path on a 64 MiB guest in %d ms", JitWarmUp.run(2, true));
            }
            if (prealloc > 0) {
                console.say("committed %s of guest memory in %d ms", Units.bytes(prealloc), ((EmulatorVmFactory) vms).preallocMillis());
            }
            console.say("listening on %s:%d%s", listen.host(), server.port(),
                    serverTls == null ? "" : " (mutual TLS: sources need a certificate from the trusted CA)");
            while (true) {
                Object event = arrivals.next();
                MigrationReport report = event instanceof ArrivedVm vm ? runArrived(vm, console)
                        : MigrationReport.newBuilder().setStatus("failed").setError((String) event).build();
                output.write(report);
                if (once) {
                    return report.getStatus().equals("completed") ? 0 : 1;
                }
            }
        }
    }

    private MigrationReport runArrived(ArrivedVm vm, Console console) throws InterruptedException {
        try (MigratableVm machine = vm.machine()) {
            console.say("a %s guest arrived and runs here; letting it %s", Units.bytes(machine.layout().ramBytes()),
                    runFor == null ? "finish its steps" : "run for " + runFor.toSeconds() + " s");
            long finalDigest = Guests.runToEnd(machine, runFor == null ? Duration.ofHours(1) : runFor);
            return Verdicts.check(MigrationReport.newBuilder().setStatus("completed")
                    .setRamBytes(machine.layout().ramBytes()).setPageSize(machine.layout().pageSize().bytes())
                    .setVcpus(machine.layout().vcpus()).setRounds((int) vm.rounds() + 1).setPagesSent(vm.pagesApplied())
                    .setTargetDigest(RamDigest.hex(vm.targetDigest())).setFinalDigest(RamDigest.hex(finalDigest))
                    .setTagCheckFaults(machine.progress().tagCheckFaults()).build());
        }
    }
}
