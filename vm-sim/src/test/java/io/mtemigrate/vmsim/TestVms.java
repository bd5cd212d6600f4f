package io.mtemigrate.vmsim;

import io.mtemigrate.vmsim.emu.EmulatedKvm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Builds small VMs the way a VMM would and releases them after each test. */
public final class TestVms implements AutoCloseable {
    public static final long BASE = 0x4000_0000L;
    private final List<AutoCloseable> resources = new ArrayList<>();

    public KvmVm mteVm(PageSize pageSize) {
        KvmVm vm = track(EmulatedKvm.withMte().createVm(pageSize));
        vm.enableCap(KvmConstants.KVM_CAP_ARM_MTE, 0, 0);
        return vm;
    }

    public KvmVm plainVm(PageSize pageSize) {
        return track(EmulatedKvm.withMte().createVm(pageSize));
    }

    public HostMemory memory(long size, PageSize pageSize) {
        return track(HostMemory.anonymous(size, pageSize));
    }

    /** Adds slot {@code slot} of {@code pages} pages at {@code gpa}. */
    public HostMemory addSlot(KvmVm vm, int slot, long gpa, long pages, int flags) {
        long size = pages * vm.pageSize().bytes();
        HostMemory memory = memory(size, vm.pageSize());
        vm.setUserMemoryRegion(new UserMemoryRegion(slot, flags, gpa, size, memory, 0));
        return memory;
    }

    public <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    public static ByteBuffer tagBuffer(PageSize pageSize, long pages) {
        return ByteBuffer.allocate(Math.toIntExact(pages * pageSize.tagsPerPage()));
    }

    public static KvmException assertErrno(Errno expected, Runnable call) {
        KvmException e = assertThrows(KvmException.class, call::run);
        assertEquals(expected, e.errno(), e.getMessage());
        return e;
    }

    @Override
    public void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }
}
