package io.mtemigrate.vmsim;

import java.time.Duration;
import java.util.List;

/** A VM file descriptor: the ioctls a VMM issues on it, plus running its vCPUs. */
public interface KvmVm extends MteTagCopier, DirtyLogging, Pausable, AutoCloseable {
    PageSize pageSize();

    /** {@code KVM_ENABLE_CAP} on the VM with {@code flags} and {@code args[0]}. */
    void enableCap(int capability, long flags, long arg0);

    boolean mteEnabled();

    /** {@code KVM_SET_USER_MEMORY_REGION}: create, move, change flags of, or (size 0) delete a memslot. */
    void setUserMemoryRegion(UserMemoryRegion region);

    /** The memslots as they are now, ordered by guest physical address. */
    List<UserMemoryRegion> memslots();

    /** {@code KVM_CREATE_VCPU} followed by {@code KVM_ARM_VCPU_INIT} with {@code features}. */
    KvmVcpu createVcpu(int id, VcpuFeatures features);

    List<KvmVcpu> vcpus();

    /** Starts one thread per vCPU running its guest program ({@code KVM_RUN} in a loop). */
    void startVcpus();

    /** Slows the vCPUs down to run {@code 100 - percent} % of the time (auto-converge); 0 runs them flat out. */
    void setThrottle(int percent);

    int throttle();

    /** Waits until every vCPU has reached its step budget; false on timeout. */
    boolean awaitHalted(Duration timeout) throws InterruptedException;

    /**
     * The first error a vCPU stopped with, or null: a {@link KvmException} for a failed {@code KVM_RUN} (EFAULT for
     * a guest access to a memslot that cannot hold tags on an MTE VM), otherwise a guest touching memory it has no
     * slot for or an emulator bug. The other vCPUs run on.
     */
    Throwable vcpuFailure();

    /** Stops the vCPU threads for good; the host memory stays the VMM's. */
    @Override
    void close();
}
