package io.mtemigrate.cli;

import io.mtemigrate.vmkvm.KvmGuestSpec;
import io.mtemigrate.vmkvm.KvmMachine;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.nio.file.Path;
import java.time.Duration;

/** The guest a command boots, on the backend the user chose; the migration engine only sees the VM it boots. */
sealed interface GuestPlan {
    MigratableVm boot(Path memoryDirectory);

    /** The same guest, seed and steps run without a migration: where a migrated guest must end. */
    long referenceDigest(Path memoryDirectory) throws InterruptedException;

    /** For "booting a ..." lines. */
    String describe();

    long ramBytes();

    PageSize pageSize();

    /** Each vCPU's step budget; 0 runs until stopped. */
    long steps();

    Backend backend();

    /** The emulator's arm64 guest running one of its workloads, with MTE unless asked otherwise. */
    record Emulated(MachineSpec spec) implements GuestPlan {
        @Override
        public MigratableVm boot(Path memoryDirectory) {
            return SimulatedMachine.boot(EmulatedKvm.withMte(), spec, memoryDirectory);
        }

        @Override
        public long referenceDigest(Path memoryDirectory) throws InterruptedException {
            return Guests.referenceDigest(spec);
        }

        @Override
        public String describe() {
            return String.format("%s %s guest (%s, %d vCPUs, %s pages, fill %s)", Units.bytes(spec.ramBytes()),
                    spec.mte() ? "MTE" : "non-MTE", spec.workload().cliName(), spec.vcpus(), spec.pageSize(),
                    spec.fill().cliName());
        }

        @Override
        public long ramBytes() {
            return spec.ramBytes();
        }

        @Override
        public PageSize pageSize() {
            return spec.pageSize();
        }

        @Override
        public long steps() {
            return spec.steps();
        }

        @Override
        public Backend backend() {
            return Backend.EMU;
        }
    }

    /** A real KVM x86-64 guest (no MTE) writing pseudo-random data over its RAM. */
    record OnKvm(KvmGuestSpec spec) implements GuestPlan {
        @Override
        public MigratableVm boot(Path memoryDirectory) {
            return KvmMachine.boot(spec.withMemoryDirectory(memoryDirectory));
        }

        @Override
        public long referenceDigest(Path memoryDirectory) throws InterruptedException {
            try (MigratableVm vm = boot(memoryDirectory)) {
                return Guests.runToEnd(vm, Duration.ofHours(1));
            }
        }

        @Override
        public String describe() {
            return String.format("%s KVM x86-64 guest (random writes, %d vCPUs, 4K pages, no MTE)",
                    Units.bytes(spec.ramBytes()), spec.vcpus());
        }

        @Override
        public long ramBytes() {
            return spec.ramBytes();
        }

        @Override
        public PageSize pageSize() {
            return PageSize.SIZE_4K;
        }

        @Override
        public long steps() {
            return spec.steps();
        }

        @Override
        public Backend backend() {
            return Backend.KVM;
        }
    }
}
