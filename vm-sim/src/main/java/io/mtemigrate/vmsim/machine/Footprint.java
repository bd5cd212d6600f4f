package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.HostCapacity;

/**
 * How much host memory a booted guest can come to commit, at most: guest RAM costs nothing until a page is
 * written, like anonymous memory. Every fill but zero writes every page (and tags every granule with MTE); a
 * program may write one fresh page per granule it stores to, in each of its steps, up to all of RAM.
 */
public final class Footprint {
    private Footprint() {
    }

    public static long bytes(MachineSpec spec) {
        long ram = spec.ramBytes();
        long data;
        if (spec.fill() != Fill.ZERO) {
            data = ram;
        } else {
            long granulesPerStep = (spec.workload().program().bytesPerStep() + 15) / 16;
            long pages = granulesPerStep == 0 ? 0 : spec.steps() == 0 ? Long.MAX_VALUE
                    : multiplyCapped(multiplyCapped(spec.steps(), spec.vcpus()), granulesPerStep);
            data = Math.min(ram, multiplyCapped(pages, spec.pageSize().bytes()));
        }
        return HostCapacity.backingBytes(data, spec.mte());
    }

    private static long multiplyCapped(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        return high != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }
}
