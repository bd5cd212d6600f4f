package io.mtemigrate.vmsim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Random;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST;
import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_TO_GUEST;
import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
import static io.mtemigrate.vmsim.KvmConstants.KVM_MEM_READONLY;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.assertErrno;
import static io.mtemigrate.vmsim.TestVms.tagBuffer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM_ARM_MTE_COPY_TAGS, rule by rule as KVM-MTE.md lists them, for every page size. */
class CopyMteTagsTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.capacity()];
        buffer.get(0, out);
        return out;
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectCopyWhenMteIsNotEnabled(PageSize ps) {
        KvmVm vm = vms.plainVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectNonZeroReservedFields(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_FROM_GUEST, 1, 0));
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_FROM_GUEST, 0, 1));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectFlagsOtherThanFromGuest(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), 2, 0, 0));
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), 3, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectUnalignedIpaOrLength(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE + 16, ps.bytes(), tagBuffer(ps, 2), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes() + 16, tagBuffer(ps, 2), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, ps.bytes() / 2, tagBuffer(ps, 1), KVM_ARM_TAGS_TO_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRejectLengthAboveIntMax(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        long tooLong = (1L << 31);
        assertErrno(Errno.EINVAL, () -> vm.copyMteTags(BASE, tooLong, tagBuffer(ps, 1), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        // The largest accepted length, 2^31 - PAGE_SIZE, passes the checks and fails later, on the hole after the slot.
        long largest = (1L << 31) - ps.bytes();
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, largest, tagBuffer(ps, 8), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRefuseToGuestWhileASlotLogsDirtyPages(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        vms.addSlot(vm, 1, BASE + 16L * ps.bytes(), 4, KVM_MEM_LOG_DIRTY_PAGES);
        assertErrno(Errno.EBUSY, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_TO_GUEST, 0, 0));
        // Reading tags is allowed while logging: that is how the source migrates.
        assertEquals(ps.bytes(), vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldFailWithEfaultWhenTheFirstPageIsAHole(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        assertErrno(Errno.EFAULT, () -> vm.copyMteTags(BASE - ps.bytes(), 2L * ps.bytes(), tagBuffer(ps, 2), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertErrno(Errno.EFAULT, () -> vm.copyMteTags(BASE - ps.bytes(), 2L * ps.bytes(), tagBuffer(ps, 2), KVM_ARM_TAGS_TO_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReturnBytesDoneWhenPageKIsAHole(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 3, 0);
        assertEquals(3L * ps.bytes(), vm.copyMteTags(BASE, 5L * ps.bytes(), tagBuffer(ps, 5), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertEquals(3L * ps.bytes(), vm.copyMteTags(BASE, 5L * ps.bytes(), tagBuffer(ps, 5), KVM_ARM_TAGS_TO_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReturnZeroForZeroLength(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        assertEquals(0, vm.copyMteTags(BASE, 0, tagBuffer(ps, 0), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRefuseToGuestOnAReadOnlySlot(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 2, 0);
        vms.addSlot(vm, 1, BASE + 2L * ps.bytes(), 2, KVM_MEM_READONLY);
        assertErrno(Errno.EFAULT, () -> vm.copyMteTags(BASE + 2L * ps.bytes(), ps.bytes(), tagBuffer(ps, 1), KVM_ARM_TAGS_TO_GUEST, 0, 0));
        assertEquals(2L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), tagBuffer(ps, 4), KVM_ARM_TAGS_TO_GUEST, 0, 0));
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), tagBuffer(ps, 4), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReadZerosFromNeverTaggedPages(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        ByteBuffer tags = tagBuffer(ps, 4);
        for (int i = 0; i < tags.capacity(); i++) {
            tags.put(i, (byte) 0x5A);
        }
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), tags, KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertArrayEquals(new byte[tags.capacity()], bytes(tags));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRoundTripTagsAndDropTheUpperNibbleOnToGuest(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        ByteBuffer written = tagBuffer(ps, 4);
        new Random(7).nextBytes(written.array());
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), written, KVM_ARM_TAGS_TO_GUEST, 0, 0));
        ByteBuffer read = tagBuffer(ps, 4);
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        byte[] expected = bytes(written);
        for (int i = 0; i < expected.length; i++) {
            expected[i] &= 0xF;
        }
        assertArrayEquals(expected, bytes(read));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldOnlyEverReadTagValuesZeroToFifteen(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 8, 0);
        ByteBuffer written = tagBuffer(ps, 8);
        for (int i = 0; i < written.capacity(); i++) {
            written.put(i, (byte) (0xF0 | i));
        }
        vm.copyMteTags(BASE, 8L * ps.bytes(), written, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        ByteBuffer read = tagBuffer(ps, 8);
        vm.copyMteTags(BASE, 8L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        for (byte b : bytes(read)) {
            assertTrue(b >= 0 && b <= 15, "tag byte " + b);
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldCountGuestBytesNotTagBytes(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 16, 0);
        long done = vm.copyMteTags(BASE + ps.bytes(), 7L * ps.bytes(), tagBuffer(ps, 7), KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertEquals(7L * ps.bytes(), done);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldStopAtTheTagBufferEndLikeAFaultingUserPointer(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        ByteBuffer full = tagBuffer(ps, 4);
        for (int i = 0; i < full.capacity(); i++) {
            full.put(i, (byte) 9);
        }
        vm.copyMteTags(BASE, 4L * ps.bytes(), full, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        // A buffer that ends half-way through page 2's tags: pages 0 and 1 are done, page 2 is cleared, not left stale.
        ByteBuffer shortBuffer = tagBuffer(ps, 4).limit(2 * ps.tagsPerPage() + ps.tagsPerPage() / 2);
        for (int i = 0; i < shortBuffer.limit(); i++) {
            shortBuffer.put(i, (byte) 3);
        }
        assertEquals(2L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), shortBuffer, KVM_ARM_TAGS_TO_GUEST, 0, 0));
        ByteBuffer read = tagBuffer(ps, 4);
        vm.copyMteTags(BASE, 4L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        int t = ps.tagsPerPage();
        assertEquals(3, read.get(0));
        assertEquals(3, read.get(2 * t - 1));
        assertEquals(0, read.get(2 * t));
        assertEquals(0, read.get(3 * t - 1));
        assertEquals(9, read.get(3 * t));
        assertErrno(Errno.EFAULT, () -> vm.copyMteTags(BASE, ps.bytes(), tagBuffer(ps, 1).limit(1), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldUseTheBufferFromItsPosition(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 1, 0);
        ByteBuffer tags = tagBuffer(ps, 2);
        tags.put(ps.tagsPerPage(), (byte) 6).position(ps.tagsPerPage());
        vm.copyMteTags(BASE, ps.bytes(), tags, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        assertEquals(ps.tagsPerPage(), tags.position());
        ByteBuffer read = tagBuffer(ps, 1);
        vm.copyMteTags(BASE, ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertEquals(6, read.get(0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldNotMarkPagesDirtyOnToGuest(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 64, 0);
        ByteBuffer tags = tagBuffer(ps, 64);
        tags.put(0, (byte) 5);
        vm.copyMteTags(BASE, 64L * ps.bytes(), tags, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, BASE, 64L * ps.bytes(), memory, 0));
        long[] bitmap = new long[1];
        vm.getDirtyLog(0, bitmap);
        assertEquals(0, bitmap[0]);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldFailFromGuestIntoAReadOnlyBufferWithEfaultAtTheFirstPage(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 4, 0);
        ByteBuffer tags = tagBuffer(ps, 4);
        tags.put(5, (byte) 9);
        assertEquals(4L * ps.bytes(), vm.copyMteTags(BASE, 4L * ps.bytes(), tags.asReadOnlyBuffer(), KVM_ARM_TAGS_TO_GUEST, 0, 0),
                "TO_GUEST only reads the buffer");
        assertErrno(Errno.EFAULT, () -> vm.copyMteTags(BASE, 4L * ps.bytes(), tags.asReadOnlyBuffer(),
                KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertEquals(0, vm.copyMteTags(BASE, 0, tags.asReadOnlyBuffer(), KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }
}
