package io.mtemigrate.cli;

import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationFailure;
import io.mtemigrate.source.StreamReplay;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.tagstream.file.StreamFileInfo;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Restores a recorded migration into a fresh VM, verifies its digest, resumes the guest to the end"
                + " of its steps and reports. With --to, sends the recording to a listening target instead.",
                "The whole file is checked first; a damaged file is refused with the byte offset of the damage.",
                "Exit status: 0 when the replay completed and verified, 1 when it failed, 2 for usage errors."})
final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A stream file written by record.")
    Path file;

    @Option(names = "--to", paramLabel = "HOST:PORT", converter = Converters.Address.class,
            description = "Send the recording to this target instead of replaying it here.")
    HostPort to;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = Converters.Time.class,
            description = "Give up when the target takes longer (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Mixin
    TlsOptions tls;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        output.requireWritable(spec.commandLine());
        MutualTls clientTls = null;
        if (to != null) {
            tls.requireAuthenticationBeyondLoopback(spec.commandLine(), to, "--to " + to);
            clientTls = tls.client(spec.commandLine());
        }
        if (!Files.isReadable(file)) {
            throw new CliException("cannot read " + file + ": " + (Files.exists(file) ? "permission denied" : "no such file"));
        }
        Console console = new Console(output);
        MigrationReport report;
        try {
            if (to != null) {
                console.say("replaying %s to %s%s", file, to, clientTls == null ? "" : " over mutual TLS");
                StreamReplay.Result result = StreamReplay.replay(file, to.address(), clientTls, timeout);
                report = report(result.file()).setTargetDigest(RamDigest.hex(result.ack().getTargetDigest()))
                        .setPagesSent(result.ack().getPagesApplied()).build();
            } else {
                report = replayHere(console);
            }
        } catch (IOException e) {
            report = MigrationReport.newBuilder().setStatus("failed").setError(file + ": " + e.getMessage()).build();
        } catch (MigrationFailure e) {
            report = MigrationReport.newBuilder().setStatus("failed").setError(e.getMessage()).build();
        }
        output.write(report);
        return report.getStatus().equals("completed") ? 0 : 1;
    }

    private MigrationReport replayHere(Console console) throws IOException, MigrationFailure, InterruptedException {
        ArrivalQueue arrivals = new ArrivalQueue(null);
        try (TargetServer target = TargetServer.start(TargetConfig.loopback().withVms(new EmulatorVmFactory()), arrivals)) {
            console.say("restoring %s into a fresh VM", file);
            StreamReplay.Result result = StreamReplay.replay(file, target.address(), timeout);
            ArrivedVm arrived = arrivals.await(Duration.ofMinutes(1));
            try (MigratableVm machine = arrived.machine()) {
                console.say("digest verified; resuming the guest to the end of its steps");
                long finalDigest = Guests.runToEnd(machine, Duration.ofHours(1));
                return Verdicts.check(report(result.file())
                        .setRamBytes(machine.layout().ramBytes()).setPageSize(machine.layout().pageSize().bytes())
                        .setVcpus(machine.layout().vcpus()).setRounds((int) arrived.rounds() + 1)
                        .setTargetDigest(RamDigest.hex(arrived.targetDigest())).setPagesSent(arrived.pagesApplied())
                        .setFinalDigest(RamDigest.hex(finalDigest)).setTagCheckFaults(machine.progress().tagCheckFaults()).build());
            }
        }
    }

    private static MigrationReport.Builder report(StreamFileInfo info) {
        return MigrationReport.newBuilder().setStatus("completed").setBytesOnWire(info.frameBytes());
    }
}
