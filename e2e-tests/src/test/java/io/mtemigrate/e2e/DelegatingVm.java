package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuFeatures;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/** A VM that passes every call on: the base of the deliberately broken KVMs tests use to prove the checks work. */
abstract class DelegatingVm implements KvmVm {
    protected final KvmVm vm;

    DelegatingVm(KvmVm vm) {
        this.vm = vm;
    }

    @Override public void getDirtyLog(int slot, long[] bitmap) { vm.getDirtyLog(slot, bitmap); }
    @Override public PageSize pageSize() { return vm.pageSize(); }
    @Override public void enableCap(int capability, long flags, long arg0) { vm.enableCap(capability, flags, arg0); }
    @Override public boolean mteEnabled() { return vm.mteEnabled(); }
    @Override public void setUserMemoryRegion(UserMemoryRegion region) { vm.setUserMemoryRegion(region); }
    @Override public List<UserMemoryRegion> memslots() { return vm.memslots(); }
    @Override public KvmVcpu createVcpu(int id, VcpuFeatures features) { return vm.createVcpu(id, features); }
    @Override public List<KvmVcpu> vcpus() { return vm.vcpus(); }
    @Override public void startVcpus() { vm.startVcpus(); }
    @Override public void setThrottle(int percent) { vm.setThrottle(percent); }
    @Override public int throttle() { return vm.throttle(); }
    @Override public boolean awaitHalted(Duration timeout) throws InterruptedException { return vm.awaitHalted(timeout); }
    @Override public Throwable vcpuFailure() { return vm.vcpuFailure(); }
    @Override public void close() { vm.close(); }
    @Override public void clearDirtyLog(int slot, long firstPage, int numPages, long[] bitmap) { vm.clearDirtyLog(slot, firstPage, numPages, bitmap); }
    @Override public void pauseVcpus() { vm.pauseVcpus(); }
    @Override public void resumeVcpus() { vm.resumeVcpus(); }
    @Override public boolean vcpusPaused() { return vm.vcpusPaused(); }

    @Override
    public long copyMteTags(long guestIpa, long length, ByteBuffer buffer, long flags, long reserved0, long reserved1) {
        return vm.copyMteTags(guestIpa, length, buffer, flags, reserved0, reserved1);
    }
}
