package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.ProgramRegisters;
import io.mtemigrate.vmsim.uffd.GuestPageGate;
import io.mtemigrate.vmsim.uffd.PageFault;
import io.mtemigrate.vmsim.uffd.UffdAsserts;
import io.mtemigrate.vmsim.uffd.UffdConstants;
import io.mtemigrate.vmsim.uffd.UserFaultFd;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An MTE VM running {@link ProbeProgram}s: slot 0 of {@code pages} pages at BASE, all registered missing with
 * {@link #uffd}; slot 1, one page never registered, holds the probes' counters.
 */
final class UffdFixture implements AutoCloseable {
    static final long BASE = TestVms.BASE;
    static final Duration WAIT = Duration.ofSeconds(10);

    final PageSize ps;
    final KvmVm vm;
    final HostMemory memory;
    final long counter;
    final UserFaultFd uffd;
    private final TestVms vms = new TestVms();

    UffdFixture(PageSize ps, int pages, int vcpus, int slotFlags) {
        this.ps = ps;
        this.vm = vms.track(new EmulatedKvm(true, DeferredDirtyMarks::new, pc -> ProbeProgram.INSTANCE).createVm(ps));
        vm.enableCap(KvmConstants.KVM_CAP_ARM_MTE, 0, 0);
        this.memory = vms.addSlot(vm, 0, BASE, pages, slotFlags);
        this.counter = BASE + 64L * ps.bytes();
        vms.addSlot(vm, 1, counter, 1, 0);
        for (int id = 0; id < vcpus; id++) {
            vm.createVcpu(id, VcpuFeatures.AARCH64);
        }
        this.uffd = vms.track(UffdAsserts.open(vm));
        uffd.register(BASE, (long) pages * ps.bytes(), UffdConstants.UFFDIO_REGISTER_MODE_MISSING);
    }

    UffdFixture(PageSize ps, int pages, int vcpus) {
        this(ps, pages, vcpus, 0);
    }

    long page(int index) {
        return BASE + (long) index * ps.bytes();
    }

    /** Points vCPU {@code id} at one access, to run once. */
    UffdFixture probe(int id, ProbeProgram.Access access, long pointer, long value, boolean countFirst) {
        KvmVcpu vcpu = vm.vcpus().get(id);
        VcpuState reset = vcpu.getState();
        long[] x = new long[VcpuState.GENERAL_REGISTERS];
        x[0] = access.ordinal();
        x[1] = pointer;
        x[3] = value;
        x[4] = countFirst ? counter : 0;
        x[ProgramRegisters.STEP_BUDGET] = 1;
        vcpu.setState(new VcpuState(x, 0, ProbeProgram.PC, 0, reset.sctlrEl1(), 0, 0, reset.mte()));
        return this;
    }

    void start() {
        vm.startVcpus();
    }

    PageFault nextFault() throws InterruptedException {
        return uffd.readFault(WAIT).orElseThrow(() -> new AssertionError("no fault within " + WAIT));
    }

    /** A page of data whose words are {@code word ^ offset}. */
    ByteBuffer pageData(long word) {
        ByteBuffer data = ByteBuffer.allocate(ps.bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int offset = 0; offset < ps.bytes(); offset += 8) {
            data.putLong(offset, word ^ offset);
        }
        return data;
    }

    ByteBuffer pageTags(int tag) {
        byte[] tags = new byte[ps.tagsPerPage()];
        Arrays.fill(tags, (byte) tag);
        return ByteBuffer.wrap(tags);
    }

    long install(long pageIpa, long word, int tag) {
        return uffd.copy(pageIpa, pageData(word), ps.bytes(), UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, pageTags(tag));
    }

    VcpuState haltedState(int id) throws InterruptedException {
        assertTrue(vm.awaitHalted(WAIT), "the vCPUs did not finish");
        return vm.vcpus().get(id).getState();
    }

    /** The tags of the page, read back with FROM_GUEST. */
    byte[] tagsOf(long pageIpa) {
        ByteBuffer tags = TestVms.tagBuffer(ps, 1);
        vm.copyMteTags(pageIpa, ps.bytes(), tags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        return tags.array();
    }

    /** The word at {@code ipa} of slot 1 (the counters' page), read through the host mapping. */
    long memory(long ipa) {
        return vm.memslots().get(1).memory().getLong(ipa - counter);
    }

    GuestPageGate gate() {
        return ((EmulatedVm) vm).pageGate();
    }

    @Override
    public void close() {
        // vCPU threads first: they must never touch memory that is gone.
        vm.close();
        try {
            vms.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
