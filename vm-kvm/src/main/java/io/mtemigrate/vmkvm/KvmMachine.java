package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.arm64.ArmMteTagCopier;
import io.mtemigrate.vmkvm.sys.KvmDevice;
import io.mtemigrate.vmkvm.sys.VcpuFd;
import io.mtemigrate.vmkvm.sys.VmFd;
import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmkvm.x86.X86VcpuCodec;
import io.mtemigrate.vmsim.HostCapacity;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.HostMemorySlot;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.GuestProgress;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A VM on the host's {@code /dev/kvm}: guest RAM in memory files mapped shared ({@link HostMemory}, one per
 * memslot), one thread per vCPU ({@link VcpuLoop}), the dirty log through the memslots' flags ({@link DirtyLog}),
 * and vCPU snapshots in {@link X86VcpuCodec}'s format. It is built in the order KVM demands (capabilities, then
 * memslots, then vCPUs), and a failing step releases everything made before it.
 */
public final class KvmMachine implements MigratableVm {
    /** The VMs this backend builds. */
    public static final GuestKind KIND = new GuestKind("kvm", "x86_64");
    /** Three pages just below the BIOS area at 4 GiB, where QEMU puts them too; no memslot may overlap them. */
    static final long TSS_ADDR = 0xFFFB_D000L;

    private final MachineLayout layout;
    private final Resources resources;
    private final List<HostMemorySlot> slots;
    private final List<VcpuFd> vcpus;
    private final List<VcpuLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final RunGate gate;
    private final DirtyLog dirtyLog;
    private final MteTagCopier tags;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private boolean closed;

    private KvmMachine(MachineLayout layout, Resources resources, VmFd vm, List<HostMemorySlot> slots,
                       List<VcpuFd> vcpus, boolean manualProtect, MteTagCopier tags) {
        this.layout = layout;
        this.resources = resources;
        this.slots = slots;
        this.vcpus = vcpus;
        this.gate = new RunGate(vcpus.size());
        this.dirtyLog = new DirtyLog(vm, slots, layout.slots().stream().mapToInt(KvmMachine::flagsOf).toArray(),
                manualProtect);
        this.tags = tags;
        for (VcpuFd vcpu : vcpus) {
            loops.add(new VcpuLoop(vcpu, gate, t -> failure.compareAndSet(null, t), this::slotOf));
        }
    }

    /**
     * Boots {@code spec}'s guest: an empty VM of its layout, the code loaded, every vCPU in flat protected mode at
     * its first step. Not started.
     *
     * @throws io.mtemigrate.vmsim.InsufficientMemory when the memory directory cannot hold the guest's RAM
     */
    public static KvmMachine boot(KvmGuestSpec spec) {
        KvmMachine machine = create(spec.layout(), spec.memoryDirectory());
        try {
            RandomWritesGuest.load(machine.slots.getFirst().segment(), KvmGuestSpec.CODE_SLOT_BASE);
            VcpuStates.boot(machine.vcpus, spec);
            return machine;
        } catch (RuntimeException | Error e) {
            machine.close();
            throw e;
        }
    }

    /**
     * An empty VM of {@code layout}: zeroed memory in {@code memoryDirectory}, vCPUs at reset, not started.
     *
     * @throws IllegalArgumentException naming what of the layout this host cannot build
     * @throws io.mtemigrate.vmsim.InsufficientMemory when the memory directory cannot hold its RAM
     */
    public static KvmMachine create(MachineLayout layout, Path memoryDirectory) {
        Resources resources = new Resources();
        try {
            KvmDevice kvm = resources.add(KvmDevice.open());
            LayoutCheck.check(layout, kvm);
            HostCapacity.of(memoryDirectory).require(layout.ramBytes(), "a " + HostCapacity.size(layout.ramBytes())
                    + " KVM guest");
            // Memory before the VM, so that closing in reverse destroys the VM before its memory goes.
            List<HostMemorySlot> slots = new ArrayList<>();
            for (MachineLayout.Slot slot : layout.slots()) {
                HostMemory memory = resources.add(HostMemory.inDirectory(memoryDirectory, slot.size(), PageSize.SIZE_4K));
                slots.add(new HostMemorySlot(slot.id(), slot.guestPhysAddr(), slot.size(), memory, 0));
            }
            VmFd vm = resources.add(kvm.createVm());
            if (kvm.checkExtension(KvmCaps.KVM_CAP_SET_TSS_ADDR) > 0) {
                vm.setTssAddr(TSS_ADDR);
            }
            boolean manualProtect = (kvm.checkExtension(KvmCaps.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
                    & KvmCaps.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) != 0;
            if (manualProtect) {
                vm.enableCap(KvmCaps.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KvmCaps.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
            }
            MteTagCopier tags = null;
            if (layout.mte()) {
                // Before any vCPU exists, as the kernel requires.
                vm.enableCap(KvmCaps.KVM_CAP_ARM_MTE, 0);
                tags = new ArmMteTagCopier(vm);
            }
            for (int i = 0; i < slots.size(); i++) {
                HostMemorySlot slot = slots.get(i);
                vm.setUserMemoryRegion(slot.id(), flagsOf(layout.slots().get(i)), slot.guestPhysAddr(), slot.segment());
            }
            List<VcpuFd> vcpus = new ArrayList<>();
            for (int id = 0; id < layout.vcpus(); id++) {
                vcpus.add(resources.add(vm.createVcpu(id)));
            }
            return new KvmMachine(layout, resources, vm, List.copyOf(slots), List.copyOf(vcpus), manualProtect, tags);
        } catch (RuntimeException | Error e) {
            resources.closeAll(e);
            throw e;
        }
    }

    private int slotOf(long guestPhysAddr) {
        for (HostMemorySlot slot : slots) {
            if (guestPhysAddr >= slot.guestPhysAddr() && guestPhysAddr - slot.guestPhysAddr() < slot.size()) {
                return slot.id();
            }
        }
        return -1;
    }

    /** A slot's flags as this VM maps it at first: the dirty log is off until {@link #logDirtyPages}. */
    private static int flagsOf(MachineLayout.Slot slot) {
        return slot.flags() & ~KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
    }

    @Override
    public MachineLayout layout() {
        return layout;
    }

    @Override
    public List<RamSlot> ramSlots() {
        return List.copyOf(slots);
    }

    @Override
    public Optional<MteTagCopier> tags() {
        return Optional.ofNullable(tags);
    }

    @Override
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("the VM is closed");
        }
        if (gate.start()) {
            for (int i = 0; i < loops.size(); i++) {
                threads.add(Thread.ofPlatform().name("kvm-vcpu-" + i).daemon().start(loops.get(i)));
            }
        }
    }

    /** Returns once every vCPU stopped at its next exit (or had halted), its I/O completed. */
    @Override
    public void pauseVcpus() {
        gate.pauseAll();
    }

    @Override
    public void resumeVcpus() {
        gate.resumeAll();
    }

    @Override
    public boolean vcpusPaused() {
        return gate.paused();
    }

    /** Waits until no vCPU runs any more: each halted at its budget, or failed ({@link #vcpuFailure()}). */
    @Override
    public boolean awaitHalted(Duration timeout) throws InterruptedException {
        return gate.awaitEnded(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void logDirtyPages(boolean on) {
        dirtyLog.setLogging(on);
    }

    @Override
    public void fetchDirtyPages(int slotIndex, long[] bitmap) {
        dirtyLog.fetch(slotIndex, bitmap);
    }

    /** 0 to 99, as auto-converge asks: at 99 the guest runs 1 % of the time. */
    @Override
    public void setThrottle(int percent) {
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException("throttle must be 0..99 %, not " + percent);
        }
        gate.setThrottle(percent);
    }

    @Override
    public int throttle() {
        return gate.throttle();
    }

    /** @throws IllegalStateException while a vCPU may be running */
    @Override
    public List<VcpuSnapshot> saveVcpus() {
        if (!gate.quiescent()) {
            throw new IllegalStateException("saving vCPU state needs every vCPU paused or halted");
        }
        return VcpuStates.save(vcpus);
    }

    @Override
    public void restoreVcpus(List<VcpuSnapshot> snapshots) {
        if (gate.started()) {
            throw new IllegalStateException("vCPU state is restored before the VM starts");
        }
        VcpuStates.restore(vcpus, snapshots);
    }

    /** Each vCPU's step counter (EDI); the vCPUs should be paused or halted, else KVM answers at their next exit. */
    public long[] vcpuSteps() {
        return VcpuStates.steps(vcpus);
    }

    @Override
    public GuestProgress progress() {
        long total = 0;
        for (long steps : vcpuSteps()) {
            total += steps;
        }
        return new GuestProgress(total, 0);
    }

    /** How often vCPU {@code vcpu}'s guest has left to the VMM so far. */
    long exits(int vcpu) {
        return loops.get(vcpu).exits();
    }

    @Override
    public Throwable vcpuFailure() {
        return failure.get();
    }

    /**
     * Stops the vCPU threads (each at its guest's next exit), closes the vCPUs and the VM, gives the guest memory
     * back and closes {@code /dev/kvm}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        gate.stop();
        boolean interrupted = false;
        for (Thread thread : threads) {
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        resources.closeAll(null);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
