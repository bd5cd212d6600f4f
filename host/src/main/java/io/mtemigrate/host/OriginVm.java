package io.mtemigrate.host;

import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.GuestProgress;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A VM whose layout names the origin this host gives it: a backend boots its guests without one, and the engine
 * sends what {@link #layout()} says, so the next host learns where the guest came from.
 */
final class OriginVm implements MigratableVm {
    private final MigratableVm vm;
    private final MachineLayout layout;

    OriginVm(MigratableVm vm, byte[] origin) {
        this.vm = vm;
        this.layout = vm.layout().withOrigin(origin);
    }

    @Override
    public MachineLayout layout() {
        return layout;
    }

    @Override
    public List<RamSlot> ramSlots() {
        return vm.ramSlots();
    }

    @Override
    public Optional<MteTagCopier> tags() {
        return vm.tags();
    }

    @Override
    public void start() {
        vm.start();
    }

    @Override
    public boolean awaitHalted(Duration timeout) throws InterruptedException {
        return vm.awaitHalted(timeout);
    }

    @Override
    public GuestProgress progress() {
        return vm.progress();
    }

    @Override
    public Throwable vcpuFailure() {
        return vm.vcpuFailure();
    }

    @Override
    public void pauseVcpus() {
        vm.pauseVcpus();
    }

    @Override
    public void resumeVcpus() {
        vm.resumeVcpus();
    }

    @Override
    public boolean vcpusPaused() {
        return vm.vcpusPaused();
    }

    @Override
    public List<VcpuSnapshot> saveVcpus() {
        return vm.saveVcpus();
    }

    @Override
    public void restoreVcpus(List<VcpuSnapshot> snapshots) {
        vm.restoreVcpus(snapshots);
    }

    @Override
    public void logDirtyPages(boolean on) {
        vm.logDirtyPages(on);
    }

    @Override
    public void fetchDirtyPages(int slotIndex, long[] bitmap) {
        vm.fetchDirtyPages(slotIndex, bitmap);
    }

    @Override
    public void setThrottle(int percent) {
        vm.setThrottle(percent);
    }

    @Override
    public int throttle() {
        return vm.throttle();
    }

    @Override
    public void close() {
        vm.close();
    }
}
