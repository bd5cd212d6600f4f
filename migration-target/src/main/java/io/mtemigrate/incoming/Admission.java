package io.mtemigrate.incoming;

import io.mtemigrate.migration.WireForms;
import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.proto.VmLayout;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.MigratableVm;

/** Whether this host takes the VM a layout describes, and building it empty when it does. */
final class Admission {
    private Admission() {
    }

    /** @param postcopy the migration may switch to post-copy: the VM gets no memory committed ahead */
    static MigratableVm build(VmLayout wire, TargetConfig config, boolean postcopy) {
        MachineLayout layout;
        try {
            layout = WireForms.layout(wire);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "bad VM layout: " + e.getMessage());
        }
        if (config.maxRamBytes() > 0 && layout.ramBytes() > config.maxRamBytes()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_RAM_LIMIT, "the VM has " + layout.ramBytes()
                    + " bytes of RAM; this target accepts at most " + config.maxRamBytes());
        }
        if (!layout.kind().equals(config.vms().kind())) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "the source's VM is a " + layout.kind()
                    + " guest; this target builds " + config.vms().kind() + " guests");
        }
        if (layout.mte() && !config.vms().hostHasMte()) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_MTE_UNAVAILABLE, "the VM uses MTE and this host has none");
        }
        try {
            return postcopy ? config.vms().createForPostcopy(layout) : config.vms().create(layout);
        } catch (IllegalArgumentException e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_VM_ERROR, "cannot build the VM: " + e.getMessage(), e);
        } catch (InsufficientMemory e) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_RAM_LIMIT, e.getMessage(), e);
        }
    }
}
