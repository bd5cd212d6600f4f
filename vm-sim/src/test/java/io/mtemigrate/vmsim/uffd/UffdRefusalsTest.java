package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.uffd.UffdAsserts.assertErrno;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_COPY_MODE_WP;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_MINOR;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_MISSING;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_REGISTER_MODE_WP;
import static io.mtemigrate.vmsim.uffd.UffdConstants.UFFDIO_ZEROPAGE_MODE_MTE_TAGS;

/**
 * Every refusal of the userfaultfd calls with its errno (the package overview lists them), for every page size.
 * The fixture: slot 0 of 8 pages at BASE with pages 0..3 registered and page 1 installed, slot 1 of 4 pages after
 * a gap, never registered.
 */
class UffdRefusalsTest {
    @TempDir
    static Path files;

    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    /** The VM and uffd a refusal is tried on. */
    final class Fixture {
        final PageSize ps;
        final KvmVm vm;
        final UserFaultFd uffd;
        final long page;
        final long slot1;

        Fixture(PageSize ps, boolean mte) {
            this.ps = ps;
            this.page = ps.bytes();
            this.vm = mte ? vms.mteVm(ps) : vms.plainVm(ps);
            vms.addSlot(vm, 0, BASE, 8, 0);
            this.slot1 = BASE + 16 * page;
            vms.addSlot(vm, 1, slot1, 4, 0);
            this.uffd = vms.track(UffdAsserts.open(vm));
            uffd.register(BASE, 4 * page, UFFDIO_REGISTER_MODE_MISSING);
            uffd.copy(BASE + page, data(1), page, mte ? UFFDIO_COPY_MODE_MTE_TAGS : 0, mte ? tags(1) : null);
        }

        ByteBuffer data(long pages) {
            return ByteBuffer.allocate(Math.toIntExact(pages * page));
        }

        ByteBuffer tags(long pages) {
            return TestVms.tagBuffer(ps, pages);
        }

        UserFaultFd other() {
            return vms.track(UffdAsserts.open(vm));
        }

        /** A vCPU running the idle guest for good. */
        void runAVcpu() {
            var vcpu = vm.createVcpu(0, VcpuFeatures.AARCH64);
            VcpuState reset = vcpu.getState();
            vcpu.setState(new VcpuState(reset.x(), 0, Workload.IDLE.entryPc(), 0, reset.sctlrEl1(), 0, 0, reset.mte()));
            vm.startVcpus();
        }
    }

    record Refusal(String name, Errno errno, boolean mte, Consumer<Fixture> call) {
        Refusal(String name, Errno errno, Consumer<Fixture> call) {
            this(name, errno, true, call);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final long MISSING = UFFDIO_REGISTER_MODE_MISSING;
    private static final long TAGS = UFFDIO_COPY_MODE_MTE_TAGS;

    static final List<Refusal> TABLE = List.of(
            // UFFDIO_REGISTER
            new Refusal("register: no mode", Errno.EINVAL, f -> f.uffd.register(f.slot1, f.page, 0)),
            new Refusal("register: unknown mode bit", Errno.EINVAL, f -> f.uffd.register(f.slot1, f.page, MISSING | 8)),
            new Refusal("register: MODE_WP", Errno.EINVAL, f -> f.uffd.register(f.slot1, f.page, UFFDIO_REGISTER_MODE_WP)),
            new Refusal("register: MODE_MINOR", Errno.EINVAL, f -> f.uffd.register(f.slot1, f.page, UFFDIO_REGISTER_MODE_MINOR)),
            new Refusal("register: unaligned start", Errno.EINVAL, f -> f.uffd.register(f.slot1 + 16, f.page, MISSING)),
            new Refusal("register: unaligned length", Errno.EINVAL, f -> f.uffd.register(f.slot1, f.page / 2, MISSING)),
            new Refusal("register: zero length", Errno.EINVAL, f -> f.uffd.register(f.slot1, 0, MISSING)),
            new Refusal("register: beyond the IPA space", Errno.EINVAL, f -> f.uffd.register(1L << 40, f.page, MISSING)),
            new Refusal("register: wrapping length", Errno.EINVAL, f -> f.uffd.register(f.slot1, -f.page, MISSING)),
            new Refusal("register: no memslot", Errno.EINVAL, f -> f.uffd.register(BASE + 12 * f.page, f.page, MISSING)),
            new Refusal("register: past the memslot's end", Errno.EINVAL, f -> f.uffd.register(f.slot1, 5 * f.page, MISSING)),
            new Refusal("register: another uffd's memory", Errno.EBUSY, f -> f.other().register(BASE + 6 * f.page, f.page, MISSING)),
            new Refusal("register: vCPUs running", Errno.EBUSY, f -> {
                f.runAVcpu();
                f.uffd.register(f.slot1, f.page, MISSING);
            }),
            new Refusal("register: closed uffd", Errno.EBADF, f -> {
                f.uffd.close();
                f.uffd.register(f.slot1, f.page, MISSING);
            }),
            // UFFDIO_UNREGISTER
            new Refusal("unregister: unaligned start", Errno.EINVAL, f -> f.uffd.unregister(BASE + 16, f.page)),
            new Refusal("unregister: zero length", Errno.EINVAL, f -> f.uffd.unregister(BASE, 0)),
            new Refusal("unregister: no memslot", Errno.EINVAL, f -> f.uffd.unregister(BASE + 12 * f.page, f.page)),
            new Refusal("unregister: another uffd's memory", Errno.EBUSY, f -> f.other().unregister(BASE, f.page)),
            // UFFDIO_COPY
            new Refusal("copy: unaligned dst", Errno.EINVAL, f -> f.uffd.copy(BASE + 16, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: unaligned length", Errno.EINVAL, f -> f.uffd.copy(BASE, f.data(1), f.page - 16, TAGS, f.tags(1))),
            new Refusal("copy: zero length", Errno.EINVAL, f -> f.uffd.copy(BASE, f.data(1), 0, TAGS, f.tags(1))),
            new Refusal("copy: beyond the IPA space", Errno.EINVAL, f -> f.uffd.copy((1L << 40) - f.page, f.data(2), 2 * f.page, 0, null)),
            new Refusal("copy: unknown mode bit", Errno.EINVAL, f -> f.uffd.copy(BASE, f.data(1), f.page, 8, null)),
            new Refusal("copy: MTE_TAGS without MTE", Errno.EINVAL, false, f -> f.uffd.copy(BASE, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: tags without MTE_TAGS", Errno.EINVAL, f -> f.uffd.copy(BASE, f.data(1), f.page, 0, f.tags(1))),
            new Refusal("copy: MTE_TAGS without tags", Errno.EFAULT, f -> f.uffd.copy(BASE, f.data(1), f.page, TAGS, null)),
            new Refusal("copy: no source", Errno.EFAULT, f -> f.uffd.copy(BASE, null, f.page, 0, null)),
            new Refusal("copy: unregistered range", Errno.ENOENT, f -> f.uffd.copy(f.slot1, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: partly registered range", Errno.ENOENT, f -> f.uffd.copy(BASE + 3 * f.page, f.data(2), 2 * f.page, TAGS, f.tags(2))),
            new Refusal("copy: no memslot", Errno.ENOENT, f -> f.uffd.copy(BASE + 12 * f.page, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: another uffd's range", Errno.ENOENT, f -> f.other().copy(BASE, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: MODE_WP", Errno.EINVAL, f -> f.uffd.copy(BASE, f.data(1), f.page, UFFDIO_COPY_MODE_WP, null)),
            new Refusal("copy: present page", Errno.EEXIST, f -> f.uffd.copy(BASE + f.page, f.data(1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: source ends in the first page", Errno.EFAULT, f -> f.uffd.copy(BASE, f.data(1).limit(f.ps.bytes() - 1), f.page, TAGS, f.tags(1))),
            new Refusal("copy: tags end in the first page", Errno.EFAULT, f -> f.uffd.copy(BASE, f.data(1), f.page, TAGS, f.tags(1).limit(f.ps.tagsPerPage() - 1))),
            new Refusal("copy: closed uffd", Errno.EBADF, f -> {
                f.uffd.close();
                f.uffd.copy(BASE, f.data(1), f.page, TAGS, f.tags(1));
            }),
            // UFFDIO_ZEROPAGE
            new Refusal("zeropage: unaligned start", Errno.EINVAL, f -> f.uffd.zeroPage(BASE + 16, f.page, 0, null)),
            new Refusal("zeropage: COPY's MTE_TAGS bit", Errno.EINVAL, f -> f.uffd.zeroPage(BASE, f.page, TAGS, f.tags(1))),
            new Refusal("zeropage: MTE_TAGS without MTE", Errno.EINVAL, false, f -> f.uffd.zeroPage(BASE, f.page, UFFDIO_ZEROPAGE_MODE_MTE_TAGS, f.tags(1))),
            new Refusal("zeropage: MTE_TAGS without tags", Errno.EFAULT, f -> f.uffd.zeroPage(BASE, f.page, UFFDIO_ZEROPAGE_MODE_MTE_TAGS, null)),
            new Refusal("zeropage: unregistered range", Errno.ENOENT, f -> f.uffd.zeroPage(f.slot1, f.page, 0, null)),
            new Refusal("zeropage: present page", Errno.EEXIST, f -> f.uffd.zeroPage(BASE + f.page, f.page, 0, null)),
            new Refusal("zeropage: tags end in the first page", Errno.EFAULT, f -> f.uffd.zeroPage(BASE, f.page, UFFDIO_ZEROPAGE_MODE_MTE_TAGS, f.tags(1).limit(1))),
            // UFFDIO_WAKE and read
            new Refusal("wake: unaligned length", Errno.EINVAL, f -> f.uffd.wake(BASE, 16)),
            new Refusal("wake: zero length", Errno.EINVAL, f -> f.uffd.wake(BASE, 0)),
            new Refusal("wake: closed uffd", Errno.EBADF, f -> {
                f.uffd.close();
                f.uffd.wake(BASE, f.page);
            }),
            new Refusal("read: closed uffd", Errno.EBADF, f -> {
                f.uffd.close();
                try {
                    f.uffd.readFault(Duration.ZERO);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));

    static Stream<Arguments> refusals() {
        return TABLE.stream().flatMap(r -> Stream.of(PageSize.values()).map(ps -> Arguments.of(r, ps)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("refusals")
    void shouldRefuseWithTheKernelsErrno(Refusal refusal, PageSize ps) {
        Fixture fixture = new Fixture(ps, refusal.mte());
        assertErrno(refusal.errno(), () -> refusal.call().accept(fixture));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRefuseToRegisterARegularFileMapping(PageSize ps) {
        KvmVm vm = vms.plainVm(ps);
        HostMemory file = vms.track(HostMemory.fileBacked(files, 4L * ps.bytes(), ps));
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, file.size(), file, 0));
        UserFaultFd uffd = vms.track(UffdAsserts.open(vm));
        assertErrno(Errno.EINVAL, () -> uffd.register(BASE, file.size(), MISSING));
    }
}
