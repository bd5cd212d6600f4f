package io.mtemigrate.cli;

import io.mtemigrate.cli.bench.Bench;
import io.mtemigrate.vmsim.PageSize;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures migration bandwidth, downtime and convergence on loopback, next to the raw limit"
                + " measured in the same run: a raw transfer of the same number of bytes out of the same guest memory"
                + " (blocking sockets, one read of each batch, gathering writes straight from the mapping, reads"
                + " straight into a committed mapping; over the case's channels or one, whichever is faster), and a"
                + " memory copy.",
                "Cases: idle guests with random, allocator-like and zero memory, and a live guest dirtying memory;"
                        + " then the idle random guest once more between two new processes of this command (target"
                        + " --once --prealloc and source), which shows the share of JIT warm-up and process start;"
                        + " and iperf3 -N on loopback when iperf3 is installed.",
                "cpu/GB and raw/GB: the process's CPU time per GB on the wire, for the migration (both sides, the"
                        + " guest's vCPUs, the verifying digest) and for the raw transfer; for idle guests their"
                        + " quotient bounds the ratio when both saturate the same cores.",
                "Exit status: 0 when every migration completed and verified, 1 otherwise, 2 for usage errors."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "1G", converter = Converters.Size.class,
            description = "Guest RAM of each case (default: ${DEFAULT-VALUE}).")
    long ram;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2", description = "Channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3", description = "Runs per case; the median and spread are reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--dirty-rate", paramLabel = "RATE", defaultValue = "64M", converter = Converters.Rate.class,
            description = "Dirty rate of the live case (default: ${DEFAULT-VALUE}).")
    long dirtyRate;

    @Option(names = "--quick", description = "A smoke run under 30 s: 64 MiB guests, one run each.")
    boolean quick;

    @Option(names = "--sweep", paramLabel = "KIND", split = ",",
            description = "Also sweep: dirty-rate, ram, channels, page-size (comma-separated).")
    List<String> sweeps = List.of();

    @Option(names = "--no-fresh-pair", description = "Skip the migration between two new processes.")
    boolean noFreshPair;

    @Option(names = "--html", paramLabel = "FILE", description = "Write a self-contained page with charts.")
    Path html;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        if (channels < 1 || channels > 16 || repeat < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--channels must be 1..16 and --repeat at least 1");
        }
        for (String sweep : sweeps) {
            if (!List.of("dirty-rate", "ram", "channels", "page-size").contains(sweep)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sweep must be dirty-rate, ram, channels"
                        + " or page-size, not '" + sweep + "'");
            }
        }
        output.requireWritable(spec.commandLine());
        OutputOptions.requireWritable(spec.commandLine(), "--html", html);
        long size = quick ? 64L << 20 : ram;
        if (size % PageSize.SIZE_64K.bytes() != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ram must be a multiple of 64K for the bench");
        }
        Bench bench = new Bench(size, channels, quick ? 1 : repeat, dirtyRate, quick, !noFreshPair,
                new Console(output)::say);
        Bench.Results results = bench.run(sweeps);
        if (!output.quiet) {
            results.printTable(System.out);
        }
        try {
            if (output.json != null) {
                ResultFiles.write(output.json, results.json());
            }
            if (html != null) {
                ResultFiles.write(html, results.html());
            }
        } catch (IOException e) {
            throw new CliException("cannot write the results: " + e.getMessage(), e);
        }
        return results.allCompleted() ? 0 : 1;
    }
}
