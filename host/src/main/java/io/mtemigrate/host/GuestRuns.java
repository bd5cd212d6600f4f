package io.mtemigrate.host;

import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.vmkvm.KvmMachine;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.nio.file.Path;
import java.time.Duration;

/** Boots the guest of a resolved spec on its backend, and runs it without migrations for its reference digest. */
final class GuestRuns {
    private GuestRuns() {
    }

    /** Not started. */
    static MigratableVm boot(GuestSpec spec, Path memoryDirectory) {
        return switch (spec.getBackend()) {
            case "kvm" -> KvmMachine.boot(GuestSpecs.kvm(spec).withMemoryDirectory(memoryDirectory));
            default -> SimulatedMachine.boot(EmulatedKvm.withMte(), GuestSpecs.emulated(spec), memoryDirectory);
        };
    }

    /**
     * Where the guest ends without migrations. The emulator's guest runs flat out: its pace changes timing, not
     * results.
     */
    static long referenceDigest(GuestSpec spec, Path memoryDirectory) throws InterruptedException {
        if (spec.getSteps() == 0) {
            throw ApiException.precondition("a guest with steps 0 runs until stopped: it has no end to compare");
        }
        GuestSpec flatOut = spec.getBackend().equals("emu") ? spec.toBuilder().setDirtyRate(0).build() : spec;
        try (MigratableVm vm = boot(flatOut, memoryDirectory)) {
            vm.start();
            if (!vm.awaitHalted(Duration.ofHours(1))) {
                throw new IllegalStateException("the reference run did not finish within an hour");
            }
            if (vm.vcpuFailure() != null) {
                throw new IllegalStateException("the reference run stopped: " + vm.vcpuFailure().getMessage(),
                        vm.vcpuFailure());
            }
            return VmDigests.ram(vm);
        }
    }
}
