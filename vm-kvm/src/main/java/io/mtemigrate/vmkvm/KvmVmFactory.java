package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmDevice;
import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.Libc;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.HostMemoryFault;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VmFactory;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** A migration target's KVM VMs: empty {@link KvmMachine}s of the source's layout, memory in one directory. */
public final class KvmVmFactory implements VmFactory {
    private final Path memoryDirectory;

    public KvmVmFactory(Path memoryDirectory) {
        this.memoryDirectory = Objects.requireNonNull(memoryDirectory, "memoryDirectory");
    }

    /** Memory in {@link HostMemory#defaultDirectory()}. */
    public KvmVmFactory() {
        this(HostMemory.defaultDirectory());
    }

    @Override
    public GuestKind kind() {
        return KvmMachine.KIND;
    }

    /** {@code KVM_CHECK_EXTENSION(KVM_CAP_ARM_MTE)}: never on x86-64. */
    @Override
    public boolean hostHasMte() {
        try (KvmDevice kvm = KvmDevice.open()) {
            return kvm.checkExtension(KvmCaps.KVM_CAP_ARM_MTE) > 0;
        }
    }

    /**
     * @throws IllegalArgumentException for a layout of another kind, with pages other than 4K, with MTE on a host
     *                                  without it, or with vCPUs or memslots this host's KVM does not take
     */
    @Override
    public MigratableVm create(MachineLayout layout) {
        return KvmMachine.create(layout, memoryDirectory);
    }

    /**
     * The host failing to back guest memory: a guest access that KVM could not fault in ({@code KVM_RUN} fails with
     * EFAULT, or an emulated access ends in a {@link GuestMemoryFaultException}: the memory file's tmpfs is full),
     * or a VMM write or socket read into such a page ({@link HostMemoryFault}).
     */
    @Override
    public Optional<String> explainMemoryFault(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof GuestMemoryFaultException
                    || t instanceof KvmIoctlException e && e.ioctl() == KvmIoctl.KVM_RUN && e.errno() == Libc.EFAULT) {
                return Optional.of(HostMemoryFault.explain(memoryDirectory));
            }
        }
        return HostMemoryFault.is(failure) ? Optional.of(HostMemoryFault.explain(memoryDirectory)) : Optional.empty();
    }
}
