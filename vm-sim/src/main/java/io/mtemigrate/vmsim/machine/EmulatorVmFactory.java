package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.HostCapacity;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.HostMemoryFault;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.VmFactory;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Builds emulated VMs on a target, with guest memory in memory files of {@code memoryDirectory} (a tmpfs whose free
 * space bounds the VMs accepted) and, when asked, memory committed ahead for the next VM that fits, like QEMU's
 * {@code -mem-prealloc}.
 */
public final class EmulatorVmFactory implements VmFactory {
    private final boolean hostMte;
    private final Path memoryDirectory;
    private final AtomicReference<HostMemory> preallocated = new AtomicReference<>();
    private final long preallocMillis;

    /** A host with MTE, memory in the default directory, nothing committed ahead. */
    public EmulatorVmFactory() {
        this(true, HostMemory.defaultDirectory(), 0, PageSize.SIZE_4K);
    }

    /**
     * Commits {@code preallocBytes} for {@code preallocPageSize} pages now, after checking the host can hold it:
     * committing more than that is the OOM killer's business (or SIGBUS on a full tmpfs), not an error this process
     * gets to see.
     *
     * @throws InsufficientMemory with the numbers
     */
    public EmulatorVmFactory(boolean hostMte, Path memoryDirectory, long preallocBytes, PageSize preallocPageSize) {
        this.hostMte = hostMte;
        this.memoryDirectory = memoryDirectory;
        this.preallocMillis = preallocBytes > 0 ? preallocate(preallocBytes, preallocPageSize) : 0;
    }

    private long preallocate(long bytes, PageSize pageSize) {
        HostCapacity.of(memoryDirectory).require(HostCapacity.backingBytes(bytes, true),
                "preallocating " + HostCapacity.size(bytes) + " of guest memory with its MTE tags");
        HostMemory memory = HostMemory.inDirectory(memoryDirectory, bytes, pageSize);
        try {
            long millis = memory.prefault();
            preallocated.set(memory);
            return millis;
        } catch (InternalError e) {
            memory.close();
            if (HostMemoryFault.is(e)) {
                throw new InsufficientMemory(HostMemoryFault.explain(memoryDirectory));
            }
            throw e;
        }
    }

    @Override
    public GuestKind kind() {
        return GuestKind.EMULATOR;
    }

    @Override
    public boolean hostHasMte() {
        return hostMte;
    }

    /** The emulator's userfaultfd installs a page with its tags in one step (a proposed kernel extension). */
    @Override
    public boolean supportsPostcopy() {
        return true;
    }

    /** How long committing the preallocated memory took; 0 without preallocation. */
    public long preallocMillis() {
        return preallocMillis;
    }

    @Override
    public MigratableVm create(MachineLayout layout) {
        try {
            return SimulatedMachine.create(new EmulatedKvm(hostMte), layout, this::memoryFor);
        } catch (KvmException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Fresh memory, all holes: a post-copy's pages are installed into holes, and discarding committed ones costs. */
    @Override
    public MigratableVm createForPostcopy(MachineLayout layout) {
        try {
            return SimulatedMachine.create(new EmulatedKvm(hostMte), layout, this::freshMemoryFor);
        } catch (KvmException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The preallocated memory the first time it fits (same page size, large enough), fresh memory otherwise, if the
     * host can commit all of it. Preallocated memory serves one VM; a failed migration gives it back to the host.
     */
    private HostMemory memoryFor(MachineLayout.Slot slot, PageSize pageSize) {
        HostMemory memory = preallocated.get();
        if (memory != null && memory.pageSize() == pageSize && memory.size() >= slot.size()
                && preallocated.compareAndSet(memory, null)) {
            return memory;
        }
        return freshMemoryFor(slot, pageSize);
    }

    private HostMemory freshMemoryFor(MachineLayout.Slot slot, PageSize pageSize) {
        // Tags counted whether or not the VM uses MTE: the memory can hold them, and the check is an upper bound.
        HostCapacity.of(memoryDirectory).require(HostCapacity.backingBytes(slot.size(), true),
                "a VM with " + HostCapacity.size(slot.size()) + " of RAM and its MTE tags");
        return HostMemory.inDirectory(memoryDirectory, slot.size(), pageSize);
    }

    @Override
    public Optional<String> explainMemoryFault(Throwable failure) {
        return HostMemoryFault.is(failure) ? Optional.of(HostMemoryFault.explain(memoryDirectory)) : Optional.empty();
    }

    @Override
    public void close() {
        HostMemory memory = preallocated.getAndSet(null);
        if (memory != null) {
            memory.close();
        }
    }
}
