package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;

final class EmulatedVcpu implements KvmVcpu {
    private final int id;
    private final VcpuFeatures features;
    private final EmulatedVm vm;
    final GuestCpu cpu;
    final VcpuRunner runner;

    EmulatedVcpu(int id, VcpuFeatures features, EmulatedVm vm, StoreTracker stores) {
        this.id = id;
        this.features = features;
        this.vm = vm;
        this.cpu = new GuestCpu(vm, stores);
        this.runner = new VcpuRunner(cpu, vm::throttle, id, vm.programs());
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public VcpuFeatures features() {
        return features;
    }

    private void requireStopped(String operation) {
        if (runner.started() && !vm.vcpusPaused() && !vm.halted(this)) {
            throw new KvmException(Errno.EBUSY, "vCPU " + id + " is running: pause the VM before " + operation);
        }
    }

    @Override
    public VcpuState getState() {
        requireStopped("reading its registers");
        return cpu.state();
    }

    @Override
    public void setState(VcpuState state) {
        requireStopped("setting its registers");
        if (state.mte() != null && !vm.mteEnabled()) {
            throw new KvmException(Errno.ENOENT, "the MTE system registers do not exist on a VM without MTE");
        }
        cpu.restore(state);
    }
}
