package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import io.mtemigrate.vmsim.uffd.UffdAsserts;
import io.mtemigrate.vmsim.uffd.UffdConstants;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST;
import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_TO_GUEST;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_READ;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_WRITE;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.TAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Missing pages meet today's interfaces: KVM_ARM_MTE_COPY_TAGS, the dirty log, memory the VMM wrote before it
 * registered, and installs that stop part-way. Every page size.
 */
class UffdKernelInterfacesTest {
    private static final int TAG = 0xC;

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldFailCopyTagsWithEfaultAtAMissingPageInBothDirections(PageSize ps) {
        try (UffdFixture f = new UffdFixture(ps, 4, 1)) {
            assertErrno(Errno.EFAULT, () -> f.vm.copyMteTags(f.page(0), ps.bytes(), TestVms.tagBuffer(ps, 1),
                    KVM_ARM_TAGS_FROM_GUEST, 0, 0));
            assertErrno(Errno.EFAULT, () -> f.vm.copyMteTags(f.page(0), ps.bytes(), TestVms.tagBuffer(ps, 1),
                    KVM_ARM_TAGS_TO_GUEST, 0, 0));
            f.install(f.page(0), 1, TAG);
            f.install(f.page(1), 1, TAG);
            ByteBuffer read = TestVms.tagBuffer(ps, 4);
            assertEquals(2L * ps.bytes(), f.vm.copyMteTags(f.page(0), 4L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0),
                    "the pages before the missing one are done, as before any other failing page");
            assertEquals(TAG, read.get(2 * ps.tagsPerPage() - 1));
            assertEquals(2L * ps.bytes(), f.vm.copyMteTags(f.page(0), 4L * ps.bytes(), TestVms.tagBuffer(ps, 4),
                    KVM_ARM_TAGS_TO_GUEST, 0, 0));
            assertEquals(ps.bytes(), f.install(f.page(2), 1, TAG), "TO_GUEST left the missing page missing");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldNotDirtyAPageByInstallingItButByTheGuestsRetriedStore(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 8, 2, KvmConstants.KVM_MEM_LOG_DIRTY_PAGES)) {
            f.probe(0, DATA_WRITE, TaggedPointers.withTag(f.page(3), TAG), 1, false);
            f.probe(1, TAG_WRITE, TaggedPointers.withTag(f.page(5), 1), 0, false).start();
            f.nextFault();
            f.nextFault();
            assertEquals(0, dirty(f), "a missing page has no dirty bit");
            f.install(f.page(3), 0, TAG);
            f.install(f.page(5), 0, TAG);
            f.install(f.page(6), 0, TAG);
            f.haltedState(0);
            assertEquals((1L << 3) | (1L << 5), dirty(f), "the installs dirty nothing, the guest's stores do");
        }
    }

    private static long dirty(UffdFixture f) {
        long[] bitmap = new long[1];
        f.vm.getDirtyLog(0, bitmap);
        return bitmap[0];
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldLeavePagesThatHoldDataPresentWhenRegistering(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 4, 1)) {
            f.uffd.unregister(f.page(0), 4L * ps.bytes());
            f.memory.putLong(ps.bytes() + 8, 99);
            f.uffd.register(f.page(0), 4L * ps.bytes(), UffdConstants.UFFDIO_REGISTER_MODE_MISSING);
            f.probe(0, DATA_READ, f.page(1) + 8, 0, false).start();
            assertEquals(99, f.haltedState(0).x()[2], "a page with data does not fault");
            UffdAsserts.assertErrno(Errno.EEXIST, () -> f.install(f.page(1), 0, TAG));
            assertEquals(ps.bytes(), f.install(f.page(0), 0, TAG), "its neighbours, holes, are missing");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldStopACopyAtThePresentPageWithTheBytesBeforeIt(PageSize ps) {
        try (UffdFixture f = new UffdFixture(ps, 4, 1)) {
            f.install(f.page(2), 7, 3);
            ByteBuffer data = ByteBuffer.allocate(4 * ps.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            data.putLong(0, 11).putLong(3 * ps.bytes(), 33);
            ByteBuffer tags = TestVms.tagBuffer(ps, 4);
            for (int i = 0; i < tags.capacity(); i++) {
                tags.put(i, (byte) 5);
            }
            long done = f.uffd.copy(f.page(0), data, 4L * ps.bytes(), UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags);
            assertEquals(2L * ps.bytes(), done, "pages 0 and 1, then EEXIST at page 2 (-EAGAIN)");
            assertEquals(11, f.memory.getLong(0));
            assertEquals(7 ^ 0, f.memory.getLong(2L * ps.bytes()), "the present page is untouched");
            assertEquals(3, f.tagsOf(f.page(2))[0]);
            assertEquals(0, f.memory.getLong(3L * ps.bytes()), "the page after it is not installed");
            assertEquals(ps.bytes(), f.uffd.copy(f.page(3), data.slice(3 * ps.bytes(), ps.bytes()), ps.bytes(),
                    UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags.slice(0, ps.tagsPerPage())));
            assertEquals(33, f.memory.getLong(3L * ps.bytes()));
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldLeaveAPageMissingWhenItsTagsDoNotFitTheBuffer(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            ByteBuffer data = ByteBuffer.allocate(2 * ps.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            data.putLong(ps.bytes(), 55);
            ByteBuffer tags = TestVms.tagBuffer(ps, 2).limit(ps.tagsPerPage() + ps.tagsPerPage() / 2);
            assertEquals(ps.bytes(), f.uffd.copy(f.page(0), data, 2L * ps.bytes(), UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags));
            assertEquals(0, f.memory.getLong(ps.bytes()), "no data without its tags");
            f.probe(0, DATA_READ, f.page(1), 0, false).start();
            assertEquals(f.page(1), f.nextFault().address(), "the page is still missing to the guest");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldAnswerNoFaultWithinTheTimeoutWhenNoVcpuWaits(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            long start = System.nanoTime();
            assertTrue(f.uffd.readFault(Duration.ofMillis(30)).isEmpty());
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(30).toNanos(), "the read waited its timeout");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReadTheTagsOfAnInstalledPageBackExactly(PageSize ps) {
        try (UffdFixture f = new UffdFixture(ps, 1, 1)) {
            byte[] tags = new byte[ps.tagsPerPage()];
            for (int i = 0; i < tags.length; i++) {
                tags[i] = (byte) (i * 7);
            }
            f.uffd.copy(f.page(0), f.pageData(3), ps.bytes(), UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, ByteBuffer.wrap(tags));
            byte[] expected = tags.clone();
            for (int i = 0; i < expected.length; i++) {
                expected[i] &= 0xF;
            }
            assertArrayEquals(expected, f.tagsOf(f.page(0)));
        }
    }
}
