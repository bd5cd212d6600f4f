package io.mtemigrate.cli;

import io.mtemigrate.source.Destination;
import io.mtemigrate.source.MigrationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "record", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Migrates a live guest into a stream file instead of a socket, rounds and all, for a later replay.",
                "The file appears only when the recording completed; a failed one leaves nothing behind.",
                "Exit status: 0 when the recording completed, 1 when it failed, 2 for usage errors."})
final class RecordCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The stream file to write.")
    Path out;

    @Mixin
    VmOptions vm;
    @Mixin
    MigrationOptions migration;
    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        migration.refusePostcopy(spec.commandLine(), "a recording cannot switch to post-copy: no target runs the"
                + " guest while the rest of its memory is on its way");
        GuestPlan guest = vm.plan(spec.commandLine(), "a replay of the recording would wait for it to finish");
        MigrationConfig config = migration.config(spec.commandLine());
        OutputOptions.requireWritable(spec.commandLine(), "--out", out);
        output.requireWritable(spec.commandLine());
        return SourceCommand.migrate(guest, config, Destination.streamFile(out), "recording to " + out, output);
    }
}
