package io.mtemigrate.cli;

import io.mtemigrate.vmsim.HostMemoryFault;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.time.Duration;

/** Running guests to the end of their step budget, and the unmigrated reference run. */
final class Guests {
    private Guests() {
    }

    /** Runs the guest to its step budget (or for {@code limit}, then pauses it) and returns its RAM+tags digest. */
    static long runToEnd(MigratableVm machine, Duration limit) throws InterruptedException {
        machine.start();
        boolean halted = machine.awaitHalted(limit);
        Throwable failure = machine.vcpuFailure();
        if (failure != null) {
            throw new CliException(HostMemoryFault.is(failure)
                    ? "the guest stopped: the host could not back its memory (the file system of its memory file is"
                            + " full, or the host is out of memory)"
                    : "the guest stopped with an error: " + failure.getMessage(), failure);
        }
        if (!halted) {
            machine.pauseVcpus();
        }
        return VmDigests.ram(machine);
    }

    /** The same program, seed and steps run without a migration (flat out: pacing changes timing, not results). */
    static long referenceDigest(MachineSpec spec) throws InterruptedException {
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec.withDirtyRate(0))) {
            return runToEnd(machine, Duration.ofHours(1));
        }
    }
}
