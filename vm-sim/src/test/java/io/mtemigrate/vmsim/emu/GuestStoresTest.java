package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.TestVms;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST;
import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_TO_GUEST;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a guest's loads and stores do to memory, tags, dirty bits and its own fault counters. */
class GuestStoresTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    private GuestCpu cpuOf(KvmVm vm) {
        EmulatedVcpu vcpu = (EmulatedVcpu) vm.createVcpu(0, VcpuFeatures.AARCH64);
        vcpu.cpu.beginStep();
        return vcpu.cpu;
    }

    private static long[] dirty(KvmVm vm) {
        long[] bitmap = new long[1];
        vm.getDirtyLog(0, bitmap);
        return bitmap;
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDirtyThePageOfADataStoreAndOfATagOnlyStore(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 8, KvmConstants.KVM_MEM_LOG_DIRTY_PAGES);
        GuestCpu cpu = cpuOf(vm);
        cpu.store64(BASE + 2L * ps.bytes(), 42);
        cpu.storeTag(TaggedPointers.withTag(BASE + 5L * ps.bytes() + 32, 7));
        cpu.endStep();
        assertEquals((1L << 2) | (1L << 5), dirty(vm)[0]);
        assertEquals(0, dirty(vm)[0], "GET without manual protect clears");
        cpu.load64(BASE + 3L * ps.bytes());
        cpu.endStep();
        assertEquals(0, dirty(vm)[0], "loads do not dirty");
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldNotDirtyPagesTheVmmWritesThroughItsMapping(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 8, KvmConstants.KVM_MEM_LOG_DIRTY_PAGES);
        memory.putLong(3L * ps.bytes(), 99);
        assertEquals(0, dirty(vm)[0]);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldClearStaleTagsOnTheFirstTouchOfAnUntaggedPage(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 2, 0);
        memory.setTag(32, 9);  // stale tag storage of a page nobody tagged yet
        GuestCpu cpu = cpuOf(vm);
        assertEquals(0, cpu.load64(TaggedPointers.withTag(BASE + 32, 0)));
        assertEquals(0, cpu.tagCheckFaults, "the first touch cleared the stale tag before the check");
        assertEquals(0, TaggedPointers.tagOf(cpu.loadTag(BASE + 32)));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldKeepTagsWrittenWithToGuestBeforeTheFirstTouch(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 2, 0);
        ByteBuffer tags = TestVms.tagBuffer(ps, 1);
        tags.put(2, (byte) 6);
        vm.copyMteTags(BASE, ps.bytes(), tags, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        GuestCpu cpu = cpuOf(vm);
        cpu.load64(TaggedPointers.withTag(BASE + 32, 6));
        assertEquals(0, cpu.tagCheckFaults);
        assertEquals(6, TaggedPointers.tagOf(cpu.loadTag(BASE + 32)));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldCountASynchronousFaultAndSuppressTheStore(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 2, 0);
        GuestCpu cpu = cpuOf(vm);
        cpu.storeTag(TaggedPointers.withTag(BASE, 4));
        cpu.store64(TaggedPointers.withTag(BASE, 5), 123);
        assertEquals(1, cpu.tagCheckFaults);
        assertEquals(0, memory.getLong(0));
        cpu.store64(TaggedPointers.withTag(BASE, 4), 123);
        assertEquals(123, memory.getLong(0));
        assertEquals(1, cpu.tagCheckFaults);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldRecordAnAsynchronousFaultInTfsre0AndLetTheAccessThrough(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory memory = vms.addSlot(vm, 0, BASE, 2, 0);
        GuestCpu cpu = cpuOf(vm);
        cpu.sctlr = VcpuState.TCF_ASYNC << VcpuState.SCTLR_TCF0_SHIFT;
        cpu.store64(TaggedPointers.withTag(BASE, 5), 77);
        assertEquals(0, cpu.tagCheckFaults);
        assertEquals(MteSysRegs.TF0, cpu.tfsre0 & MteSysRegs.TF0);
        assertEquals(77, memory.getLong(0));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldSkipTagChecksWhenTcoIsSet(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 2, 0);
        GuestCpu cpu = cpuOf(vm);
        cpu.storeTag(TaggedPointers.withTag(BASE, 4));
        cpu.pstate = VcpuState.PSTATE_TCO;
        cpu.store64(TaggedPointers.withTag(BASE, 5), 1);
        assertEquals(0, cpu.tagCheckFaults);
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldSeeTagStoresThroughFromGuest(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 2, 0);
        GuestCpu cpu = cpuOf(vm);
        cpu.storeTag(TaggedPointers.withTag(BASE + ps.bytes() + 48, 13));
        ByteBuffer read = TestVms.tagBuffer(ps, 2);
        vm.copyMteTags(BASE, 2L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertEquals(13, read.get(ps.tagsPerPage() + 3));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldIgnoreTagsOnAVmWithoutMte(PageSize ps) {
        KvmVm vm = vms.plainVm(ps);
        HostMemory memory = vms.memory(2L * ps.bytes(), ps);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, memory.size(), memory, 0));
        GuestCpu cpu = cpuOf(vm);
        cpu.store64(TaggedPointers.withTag(BASE, 9), 5);
        assertEquals(5, cpu.load64(TaggedPointers.withTag(BASE, 3)));
        assertEquals(0, cpu.tagCheckFaults);
        assertEquals(BASE, cpu.randomTag(BASE, 0));
    }
}
