package io.mtemigrate.incoming;

import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.ArrivingRam;
import io.mtemigrate.vmsim.vmm.GuestKind;
import io.mtemigrate.vmsim.vmm.GuestProgress;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.MissingPage;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import io.mtemigrate.vmsim.vmm.VmFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A VM backend that only remembers what was asked of it: the receiver's steps build, restore, start and discard
 * VMs through the capability interfaces alone, so these fakes stand in for any backend.
 */
final class FakeVms implements VmFactory {
    static final GuestKind KIND = new GuestKind("fake", "test");

    final List<FakeVm> built = new ArrayList<>();

    @Override
    public GuestKind kind() {
        return KIND;
    }

    @Override
    public boolean hostHasMte() {
        return true;
    }

    @Override
    public MigratableVm create(MachineLayout layout) {
        FakeVm vm = new FakeVm(layout);
        built.add(vm);
        return vm;
    }

    @Override
    public Optional<String> explainMemoryFault(Throwable failure) {
        return Optional.empty();
    }

    static final class FakeVm implements MigratableVm {
        private final MachineLayout layout;
        List<VcpuSnapshot> restored;
        boolean started;
        boolean closed;

        /** Post-copy RAM that records what it is told; made on the first open. */
        FakeArrivingRam arriving;

        FakeVm(MachineLayout layout) {
            this.layout = layout;
        }

        @Override
        public Optional<ArrivingRam> openArrivingRam() {
            arriving = new FakeArrivingRam();
            return Optional.of(arriving);
        }

        @Override
        public MachineLayout layout() {
            return layout;
        }

        @Override
        public List<RamSlot> ramSlots() {
            return List.of();
        }

        @Override
        public Optional<MteTagCopier> tags() {
            return Optional.empty();
        }

        @Override
        public void restoreVcpus(List<VcpuSnapshot> snapshots) {
            restored = List.copyOf(snapshots);
        }

        @Override
        public void start() {
            started = true;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public List<VcpuSnapshot> saveVcpus() {
            throw new UnsupportedOperationException("a target never saves");
        }

        @Override
        public boolean awaitHalted(Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public GuestProgress progress() {
            return new GuestProgress(0, 0);
        }

        @Override
        public Throwable vcpuFailure() {
            return null;
        }

        @Override
        public void pauseVcpus() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void resumeVcpus() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean vcpusPaused() {
            return false;
        }

        @Override
        public void logDirtyPages(boolean on) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void fetchDirtyPages(int slotIndex, long[] bitmap) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setThrottle(int percent) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int throttle() {
            return 0;
        }
    }

    /** Records the pages expected and whether it was closed; installs succeed, faults never come. */
    static final class FakeArrivingRam implements ArrivingRam {
        final List<long[]> expected = new ArrayList<>();
        boolean closed;

        @Override
        public void expect(int slotIndex, long[] pages) {
            expected.add(pages.clone());
        }

        @Override
        public Optional<MissingPage> awaitFault(Duration timeout) {
            return Optional.empty();
        }

        @Override
        public int install(int slotIndex, long firstPage, int count, java.nio.ByteBuffer data, java.nio.ByteBuffer tags) {
            return count;
        }

        @Override
        public int installZeros(int slotIndex, long firstPage, int count, java.nio.ByteBuffer tags) {
            return count;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
