package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Guests for whole-system tests: specs that keep running well past a migration, and their reference digests. */
final class Guests {
    private static final int[] BYTES_PER_STEP = {0, 512, 256, 64, 64, 64};

    private Guests() {
    }

    /**
     * A guest dirtying {@code rate} bytes per second that runs about {@code seconds} seconds at that rate. Idle
     * guests tick every 50 µs.
     */
    static MachineSpec live(Workload workload, PageSize pageSize, long ramBytes, int vcpus, long rate, double seconds) {
        int bytes = BYTES_PER_STEP[workload.ordinal()];
        long stepsPerSecond = bytes == 0 ? 20_000 : rate / vcpus / bytes;
        long steps = Math.max(1_000, (long) (stepsPerSecond * seconds));
        return new MachineSpec(ramBytes, pageSize, vcpus, true, workload, Fill.RANDOM, 42, steps, rate);
    }

    /** The RAM+tags digest the same guest reaches when it runs to its budget without a migration (flat out). */
    static long referenceDigest(MachineSpec spec) throws InterruptedException {
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec.withDirtyRate(0))) {
            return runToEnd(machine);
        }
    }

    static long runToEnd(MigratableVm machine) throws InterruptedException {
        machine.start();
        assertTrue(machine.awaitHalted(Duration.ofSeconds(120)), "the guest did not reach its step budget");
        assertNull(machine.vcpuFailure());
        return VmDigests.ram(machine);
    }
}
