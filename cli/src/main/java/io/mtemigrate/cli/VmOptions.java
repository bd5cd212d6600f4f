package io.mtemigrate.cli;

import io.mtemigrate.vmkvm.KvmGuestSpec;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options that describe the guest to boot (demo, source, record). */
final class VmOptions {
    /** How long the guest runs at its dirty rate when --steps is not given: past a migration at 256 MB/s, plus 4 s. */
    static double defaultRunSeconds(long ram) {
        return 4 + ram / 256e6;
    }
    static final long DEFAULT_DIRTY_RATE = 16L << 20;
    /** Steps per second per vCPU of the KVM guest on this kind of host (a software-virtualised KVM). */
    static final double KVM_STEPS_PER_SECOND = 100_000;

    @Option(names = "--backend", paramLabel = "emu|kvm", defaultValue = "emu", converter = Backend.Converter.class,
            description = {"What runs the guest: emu, the emulator's arm64 guest with MTE (default), or kvm, a real"
                    + " x86-64 guest under this host's /dev/kvm that keeps writing pseudo-random data over its RAM"
                    + " (4K pages, no MTE: x86 has none, so no tags travel). --workload, --fill, --dirty-rate and"
                    + " --page-size apply to the emulator only."})
    Backend backend;

    @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "1G", converter = Converters.Size.class,
            description = "Guest RAM, a multiple of the page size; suffixes K, M, G (default: ${DEFAULT-VALUE}).")
    long ram;

    @Option(names = "--page-size", paramLabel = "4K|16K|64K", defaultValue = "4K", converter = Converters.Pages.class,
            description = "Host and guest page size (default: ${DEFAULT-VALUE}).")
    PageSize pageSize;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2", description = "vCPUs, each running the workload on its own share of RAM (default: ${DEFAULT-VALUE}).")
    int vcpus;

    @Option(names = "--workload", paramLabel = "NAME", defaultValue = "alloc", converter = Converters.Programs.class,
            description = "Guest program: idle, alloc, stream, hotset, tagonly, random (default: ${DEFAULT-VALUE}).")
    Workload workload;

    @Option(names = "--dirty-rate", paramLabel = "RATE", converter = Converters.Rate.class,
            description = "Bytes per second the guest writes, e.g. 64M, or max for flat out (default: 16M; idle writes nothing).")
    Long dirtyRate;

    @Option(names = "--fill", paramLabel = "KIND", defaultValue = "random", converter = Converters.Fills.class,
            description = "Initial RAM and tags: zero, random, pattern, alloc (default: ${DEFAULT-VALUE}). The guest"
                    + " boots only if this host can commit what it may come to hold: all of RAM (plus 1/16 for MTE"
                    + " tags) for any fill but zero; for zero, a page for every granule its workload stores to in"
                    + " its --steps, up to all of RAM (an idle zero guest costs nothing).")
    Fill fill;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the fill and the program (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--steps", paramLabel = "N",
            description = "Steps each vCPU runs in all, before and after the migration (default: 4 s plus 4 s per"
                    + " GiB of RAM at the dirty rate). 0, for source only, runs the guest until it is stopped.")
    Long steps;

    @Option(names = "--no-mte", description = "Migrate a VM without MTE (no tags).")
    boolean noMte;

    /**
     * The guest to boot, on the chosen backend.
     *
     * @param whyNotEndless why this command cannot take --steps 0, a guest that runs until stopped; null if it can
     */
    GuestPlan plan(CommandLine commandLine, String whyNotEndless) {
        if (backend == Backend.EMU) {
            return new GuestPlan.Emulated(spec(commandLine, whyNotEndless));
        }
        for (String option : java.util.List.of("--workload", "--fill", "--dirty-rate", "--page-size")) {
            if (commandLine.getParseResult().hasMatchedOption(option)) {
                throw new CommandLine.ParameterException(commandLine, option + " applies to the emulator's guests;"
                        + " --backend kvm runs its own guest program (random writes, 4K pages, no MTE)");
            }
        }
        MachineSpec checked = spec(commandLine, whyNotEndless);
        long budget = steps != null ? steps : (long) (KVM_STEPS_PER_SECOND * defaultRunSeconds(ram));
        KvmGuestSpec guest;
        try {
            guest = KvmGuestSpec.of(checked.ramBytes(), checked.vcpus(), seed, budget);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage());
        }
        // After the usage checks: a bad command line is the same mistake on a host without KVM.
        backend.requireUsable();
        return new GuestPlan.OnKvm(guest);
    }

    /**
     * The emulator's guest to boot.
     *
     * @param whyNotEndless why this command cannot take --steps 0, a guest that runs until stopped; null if it can
     */
    MachineSpec spec(CommandLine commandLine, String whyNotEndless) {
        boolean endless = whyNotEndless == null;
        if (vcpus < 1 || vcpus > 64) {
            throw new CommandLine.ParameterException(commandLine, "--vcpus must be 1..64, not " + vcpus);
        }
        if (ram <= 0 || ram % pageSize.bytes() != 0) {
            throw new CommandLine.ParameterException(commandLine, "--ram must be a positive multiple of the page size "
                    + pageSize + " (" + pageSize.bytes() + " bytes), not " + ram + " bytes");
        }
        if (ram / vcpus < 4L * pageSize.bytes()) {
            throw new CommandLine.ParameterException(commandLine, "--ram " + Units.bytes(ram) + " is too small for "
                    + vcpus + " vCPUs: each needs at least 4 pages");
        }
        if (steps != null && steps < (endless ? 0 : 1)) {
            // The emulator reads a budget of 0 as "run until stopped": a command that waits for the guest to
            // finish its steps (demo's target and reference runs, a replay of a recording) would wait for ever.
            throw new CommandLine.ParameterException(commandLine, "--steps must be at least " + (endless ? 0 : 1)
                    + ", not " + steps + (steps == 0 ? " (0 runs the guest until it is stopped, and " + whyNotEndless
                    + "; leave --steps out for the default)" : ""));
        }
        long rate = dirtyRate != null ? dirtyRate : workload == Workload.IDLE ? 0 : DEFAULT_DIRTY_RATE;
        long budget = steps != null ? steps : defaultSteps(workload, rate, vcpus, defaultRunSeconds(ram));
        return new MachineSpec(ram, pageSize, vcpus, !noMte, workload, fill, seed, budget, rate);
    }

    static long defaultSteps(Workload workload, long rate, int vcpus, double seconds) {
        int bytes = workload.program().bytesPerStep();
        // An idle guest ticks every 50 µs; a flat-out guest gets a fixed, generous budget.
        long perSecond = bytes == 0 ? 20_000 : rate == 0 ? 2_000_000 : Math.max(1, rate / vcpus / bytes);
        return Math.max(1_000, (long) (perSecond * seconds));
    }
}
