package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_TO_GUEST;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kernel faults a page in before it gives it tags, so a VMM that skips the holes of guest memory never skips
 * tags: a page tagged by {@code COPY_TAGS TO_GUEST} or by the guest is data of the memory file.
 */
class TaggedPagesAreDataTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldMakePagesTaggedByCopyTagsToGuestData(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 8, 0);
        ByteBuffer tags = TestVms.tagBuffer(ps, 2);
        tags.put(ps.tagsPerPage() + 1, (byte) 6);
        vm.copyMteTags(BASE + 3L * ps.bytes(), 2L * ps.bytes(), tags, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        assertEquals(3L * ps.bytes(), memory.nextData(0), "the pages before the copy stay holes");
        assertEquals(5L * ps.bytes(), memory.nextHole(3L * ps.bytes()),
                "both pages are data, even the one whose tags are all zero");
        assertEquals(0, memory.getLong(4L * ps.bytes()), "committing a page leaves its data alone");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldMakeAPageTaggedByAGuestTagStoreData(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 8, 0);
        EmulatedVcpu vcpu = (EmulatedVcpu) vm.createVcpu(0, VcpuFeatures.AARCH64);
        GuestCpu cpu = vcpu.cpu;
        cpu.beginStep();
        cpu.storeTag(TaggedPointers.withTag(BASE + 6L * ps.bytes() + 32, 7));
        cpu.endStep();
        assertEquals(6L * ps.bytes(), memory.nextData(0));
        assertEquals(7L * ps.bytes(), memory.nextHole(6L * ps.bytes()));
        assertEquals(0, memory.getLong(6L * ps.bytes()));
    }
}
