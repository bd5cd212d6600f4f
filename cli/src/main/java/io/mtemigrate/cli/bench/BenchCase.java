package io.mtemigrate.cli.bench;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;

/** One configuration to migrate: a guest and how to move it. */
record BenchCase(String name, MachineSpec spec, int channels, boolean autoConverge) {
    static BenchCase idle(String name, long ram, PageSize pageSize, Fill fill, int channels) {
        return new BenchCase(name, new MachineSpec(ram, pageSize, 2, true, Workload.IDLE, fill, 1, 0, 0), channels, true);
    }

    static BenchCase live(String name, long ram, PageSize pageSize, Workload workload, long dirtyRate, int channels,
                          boolean autoConverge) {
        return new BenchCase(name, new MachineSpec(ram, pageSize, 2, true, workload, Fill.RANDOM, 1, 0, dirtyRate),
                channels, autoConverge);
    }
}
