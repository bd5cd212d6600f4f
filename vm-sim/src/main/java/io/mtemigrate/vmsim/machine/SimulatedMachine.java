package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.HostCapacity;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.HostMemorySlot;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.Kvm;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.digest.PageHash;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.guest.ProgramRegisters;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.vmm.GuestProgress;
import io.mtemigrate.vmsim.uffd.UserFaults;
import io.mtemigrate.vmsim.vmm.ArrivingRam;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A VM together with the host memory behind its memslots: the minimal VMM both sides of a migration start from.
 * It creates VMs in the order KVM demands (MTE before any vCPU), and releases everything it made if a step fails,
 * so no half-built VM is ever left behind.
 */
public final class SimulatedMachine implements MigratableVm {
    /** GCR_EL1.Exclude with tag 0 excluded, as Linux sets it for user space allocators by default. */
    private static final long DEFAULT_GCR = 0x1;

    private final KvmVm vm;
    private final MachineLayout layout;
    private final List<HostMemory> memories;

    private SimulatedMachine(KvmVm vm, MachineLayout layout, List<HostMemory> memories) {
        this.vm = vm;
        this.layout = layout;
        this.memories = memories;
    }

    /** Where a machine gets the host memory of each memslot. */
    @FunctionalInterface
    public interface MemorySource {
        HostMemory memoryFor(MachineLayout.Slot slot, PageSize pageSize);

        MemorySource FRESH = (slot, pageSize) -> HostMemory.anonymous(slot.size(), pageSize);
    }

    /** An empty VM of the given shape, with fresh zeroed memory and vCPUs at reset: what a migration target builds. */
    public static SimulatedMachine create(Kvm kvm, MachineLayout layout) {
        return create(kvm, layout, MemorySource.FRESH);
    }

    /** Like {@link #create(Kvm, MachineLayout)}, with memory from {@code source} (which must be zero). */
    public static SimulatedMachine create(Kvm kvm, MachineLayout layout, MemorySource source) {
        KvmVm vm = kvm.createVm(layout.pageSize());
        List<HostMemory> memories = new ArrayList<>();
        try {
            if (layout.mte()) {
                vm.enableCap(KvmConstants.KVM_CAP_ARM_MTE, 0, 0);
            }
            for (MachineLayout.Slot slot : layout.slots()) {
                HostMemory memory = source.memoryFor(slot, layout.pageSize());
                memories.add(memory);
                vm.setUserMemoryRegion(new UserMemoryRegion(slot.id(), slot.flags(), slot.guestPhysAddr(), slot.size(),
                        memory, 0));
            }
            for (int id = 0; id < layout.vcpus(); id++) {
                vm.createVcpu(id, layout.features());
            }
            return new SimulatedMachine(vm, layout, memories);
        } catch (RuntimeException | Error e) {
            vm.close();
            memories.forEach(HostMemory::close);
            throw e;
        }
    }

    /** Boots a VM: creates it, fills its memory and points every vCPU at the spec's guest program. */
    public static SimulatedMachine boot(Kvm kvm, MachineSpec spec) {
        return boot(kvm, spec, HostMemory.defaultDirectory());
    }

    /**
     * Like {@link #boot(Kvm, MachineSpec)}, with guest memory in {@code memoryDirectory}. A guest whose fill and
     * program can come to commit more than the host can ({@link Footprint}) is refused before any memory is made.
     *
     * @throws InsufficientMemory with the numbers
     */
    public static SimulatedMachine boot(Kvm kvm, MachineSpec spec, Path memoryDirectory) {
        HostCapacity.of(memoryDirectory).require(Footprint.bytes(spec), "a " + HostCapacity.size(spec.ramBytes())
                + " guest with fill " + spec.fill().cliName() + " running " + spec.workload().cliName() + " for "
                + spec.steps() + " steps");
        SimulatedMachine machine = create(kvm, spec.layout(),
                (slot, pageSize) -> HostMemory.inDirectory(memoryDirectory, slot.size(), pageSize));
        try {
            GuestFill.fill(machine.vm, spec.fill(), spec.seed());
            long regionBytes = spec.regionBytes();
            long pace = spec.dirtyRate() / spec.vcpus();
            for (KvmVcpu vcpu : machine.vm.vcpus()) {
                vcpu.setState(initialState(spec, vcpu.id(), MachineSpec.RAM_BASE + vcpu.id() * regionBytes,
                        regionBytes, pace));
            }
            return machine;
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    private static VcpuState initialState(MachineSpec spec, int vcpu, long base, long size, long pace) {
        long[] x = new long[VcpuState.GENERAL_REGISTERS];
        x[ProgramRegisters.REGION_BASE] = base;
        x[ProgramRegisters.REGION_SIZE] = size;
        x[ProgramRegisters.RANDOM_STATE] = PageHash.mix(spec.seed() * 31 + vcpu + 1) | 1;
        x[ProgramRegisters.PACE_BYTES_PER_SECOND] = pace;
        x[ProgramRegisters.STEP_BUDGET] = spec.steps();
        Workload workload = spec.workload();
        int lfsrSeed = (int) (PageHash.mix(spec.seed() ^ (vcpu + 0x5EEDL)) & 0xFFFF) | 1;
        MteSysRegs mte = spec.mte() ? new MteSysRegs(DEFAULT_GCR, MteSysRegs.rgsr(0, lfsrSeed), 0, 0) : null;
        return new VcpuState(x, base + size, workload.entryPc(), 0,
                VcpuState.TCF_SYNC << VcpuState.SCTLR_TCF0_SHIFT, 0, 0, mte);
    }

    public KvmVm vm() {
        return vm;
    }

    @Override
    public MachineLayout layout() {
        return layout;
    }

    @Override
    public void start() {
        vm.startVcpus();
    }

    public void pause() {
        vm.pauseVcpus();
    }

    public void resume() {
        vm.resumeVcpus();
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
    public boolean awaitHalted(Duration timeout) throws InterruptedException {
        return vm.awaitHalted(timeout);
    }

    @Override
    public List<RamSlot> ramSlots() {
        return vm.memslots().stream().map(HostMemorySlot::of).map(RamSlot.class::cast).toList();
    }

    /** Post-copy through the emulator's userfaultfd, whose proposed MTE_TAGS mode installs a page with its tags. */
    @Override
    public Optional<ArrivingRam> openArrivingRam() {
        return UserFaults.of(vm).map(faults -> new UffdArrivingRam(vm, faults.userfaultfd()));
    }

    @Override
    public Optional<MteTagCopier> tags() {
        return vm.mteEnabled() ? Optional.of(vm) : Optional.empty();
    }

    /** Dirty logging through the memslots' flags, read without manual protect: each GET fetches and clears. */
    @Override
    public void logDirtyPages(boolean on) {
        for (UserMemoryRegion slot : vm.memslots()) {
            int flags = on ? slot.flags() | KvmConstants.KVM_MEM_LOG_DIRTY_PAGES
                    : slot.flags() & ~KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
            vm.setUserMemoryRegion(slot.withFlags(flags));
        }
    }

    @Override
    public void fetchDirtyPages(int slotIndex, long[] bitmap) {
        vm.getDirtyLog(vm.memslots().get(slotIndex).slot(), bitmap);
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
    public List<VcpuSnapshot> saveVcpus() {
        return vm.vcpus().stream().map(vcpu -> VcpuStateCodec.encode(vcpu.id(), vcpu.getState())).toList();
    }

    @Override
    public void restoreVcpus(List<VcpuSnapshot> snapshots) {
        List<KvmVcpu> vcpus = vm.vcpus();
        if (snapshots.size() != vcpus.size()) {
            throw new IllegalArgumentException(snapshots.size() + " vCPU states for a VM with " + vcpus.size()
                    + " vCPUs");
        }
        VcpuState[] states = new VcpuState[vcpus.size()];
        for (int i = 0; i < states.length; i++) {
            states[i] = VcpuStateCodec.decode(snapshots.get(i));
            if (layout.mte() != (states[i].mte() != null)) {
                throw new IllegalArgumentException("vCPU " + i + (layout.mte() ? " lacks" : " carries")
                        + " MTE system registers");
            }
        }
        for (int i = 0; i < states.length; i++) {
            vcpus.get(i).setState(states[i]);
        }
    }

    @Override
    public GuestProgress progress() {
        List<VcpuState> states = vcpuStates();
        return new GuestProgress(states.stream().mapToLong(VcpuState::steps).sum(),
                states.stream().mapToLong(VcpuState::tagCheckFaults).sum());
    }

    @Override
    public Throwable vcpuFailure() {
        return vm.vcpuFailure();
    }

    public List<VcpuState> vcpuStates() {
        return vm.vcpus().stream().map(KvmVcpu::getState).toList();
    }

    /** RAM+tags digest; the vCPUs must be stopped. */
    public long ramDigest() {
        return VmDigests.ram(this);
    }

    public long vcpuDigest() {
        return VmDigests.vcpus(saveVcpus());
    }

    public long tagCheckFaults() {
        return progress().tagCheckFaults();
    }

    public long totalSteps() {
        return progress().steps();
    }

    /** Stops the vCPUs and gives all guest memory back to the host. */
    @Override
    public void close() {
        vm.close();
        memories.forEach(HostMemory::close);
    }
}
