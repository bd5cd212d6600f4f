package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuFeatures;
import io.mtemigrate.vmsim.guest.GuestProgram;
import io.mtemigrate.vmsim.uffd.GuestPageGate;
import io.mtemigrate.vmsim.uffd.UserFaultFd;
import io.mtemigrate.vmsim.uffd.UserFaults;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The emulated VM: capabilities, memslots, dirty logging, tag copies and the vCPUs, with the kernel's checks; and,
 * apart from those, the proposed userfaultfd with MTE tags ({@link UserFaults}).
 */
final class EmulatedVm implements KvmVm, UserFaults {
    private final PageSize pageSize;
    private final boolean hardwareMte;
    private final Supplier<StoreTracker> storeTrackers;
    private final LongFunction<GuestProgram> programs;
    private final MemslotTable memslots;
    private final ReentrantReadWriteLock slotsLock = new ReentrantReadWriteLock();
    private final List<EmulatedVcpu> vcpus = new CopyOnWriteArrayList<>();
    private volatile boolean mteEnabled;
    private volatile long dirtyLogCaps;
    private volatile int throttle;
    private volatile GuestPageGate pageGate;
    private VcpuFeatures configuredFeatures;
    private boolean paused;
    private boolean closed;

    EmulatedVm(PageSize pageSize, boolean hardwareMte, Supplier<StoreTracker> storeTrackers,
               LongFunction<GuestProgram> programs) {
        this.pageSize = pageSize;
        this.hardwareMte = hardwareMte;
        this.storeTrackers = storeTrackers;
        this.programs = programs;
        this.memslots = new MemslotTable(pageSize, KvmConstants.DEFAULT_IPA_BITS);
    }

    @Override
    public PageSize pageSize() {
        return pageSize;
    }

    @Override
    public synchronized void enableCap(int capability, long flags, long arg0) {
        switch (capability) {
            case KvmConstants.KVM_CAP_ARM_MTE -> {
                if (flags != 0) {
                    throw new KvmException(Errno.EINVAL, "KVM_CAP_ARM_MTE takes no flags");
                }
                if (!hardwareMte) {
                    throw new KvmException(Errno.EINVAL, "the host does not support MTE");
                }
                if (!vcpus.isEmpty()) {
                    throw new KvmException(Errno.EINVAL, "MTE must be enabled before the first vCPU is created");
                }
                mteEnabled = true;
            }
            case KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 -> {
                long allowed = (arg0 & KvmConstants.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) != 0
                        ? KvmConstants.KVM_DIRTY_LOG_MANUAL_CAPS : KvmConstants.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
                if (flags != 0 || (arg0 & ~allowed) != 0) {
                    throw new KvmException(Errno.EINVAL, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 takes no flags and args[0]"
                            + " of ENABLE (1), optionally with INITIALLY_SET (2); got flags " + flags + ", args[0] " + arg0);
                }
                dirtyLogCaps = arg0;
            }
            default -> throw new KvmException(Errno.EINVAL, "capability " + capability + " cannot be enabled on a VM");
        }
    }

    @Override
    public boolean mteEnabled() {
        return mteEnabled;
    }

    boolean manualDirtyLogProtect() {
        return (dirtyLogCaps & KvmConstants.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) != 0;
    }

    @Override
    public void setUserMemoryRegion(UserMemoryRegion region) {
        slotsLock.writeLock().lock();
        try {
            if (region.memory().isClosed()) {
                throw new KvmException(Errno.EFAULT, "slot " + region.slot() + "'s host memory has been released");
            }
            memslots.set(region, mteEnabled, dirtyLogCaps);
        } finally {
            slotsLock.writeLock().unlock();
        }
    }

    @Override
    public List<UserMemoryRegion> memslots() {
        return memslots.regions();
    }

    Memslot[] slotArray() {
        return memslots.array();
    }

    Memslot findSlot(Memslot[] slots, long ipa) {
        return MemslotTable.find(slots, ipa);
    }

    boolean anySlotLogsDirtyPages() {
        return memslots.anyLogsDirtyPages();
    }

    ReentrantReadWriteLock slotsLock() {
        return slotsLock;
    }

    LongFunction<GuestProgram> programs() {
        return programs;
    }

    /** Null until the VMM opens a userfaultfd: then vCPUs and tag copies consult it. */
    GuestPageGate pageGate() {
        return pageGate;
    }

    @Override
    public synchronized UserFaultFd userfaultfd() {
        if (pageGate == null) {
            pageGate = new GuestPageGate(this, this::vcpusRunning);
        }
        return pageGate.open();
    }

    /** Some vCPU is started and neither paused nor at its step budget. */
    private boolean vcpusRunning() {
        if (vcpusPaused()) {
            return false;
        }
        for (EmulatedVcpu vcpu : vcpus) {
            if (vcpu.runner.started() && !halted(vcpu)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized KvmVcpu createVcpu(int id, VcpuFeatures features) {
        if (id < 0 || id >= KvmConstants.KVM_MAX_VCPUS || vcpus.size() >= KvmConstants.KVM_MAX_VCPUS) {
            throw new KvmException(Errno.EINVAL, "vCPU id " + id + " is out of range (0.." + (KvmConstants.KVM_MAX_VCPUS - 1) + ")");
        }
        for (KvmVcpu vcpu : vcpus) {
            if (vcpu.id() == id) {
                throw new KvmException(Errno.EEXIST, "vCPU " + id + " already exists");
            }
        }
        if (mteEnabled && features.el1Aarch32()) {
            throw new KvmException(Errno.EINVAL, "an AArch32 vCPU cannot run on a VM with MTE enabled");
        }
        if (configuredFeatures != null && !configuredFeatures.equals(features)) {
            throw new KvmException(Errno.EINVAL, "every vCPU of a VM must have the same features");
        }
        configuredFeatures = features;
        EmulatedVcpu vcpu = new EmulatedVcpu(id, features, this, storeTrackers.get());
        vcpus.add(vcpu);
        return vcpu;
    }

    @Override
    public List<KvmVcpu> vcpus() {
        return List.copyOf(vcpus);
    }

    @Override
    public long copyMteTags(long guestIpa, long length, ByteBuffer buffer, long flags, long reserved0, long reserved1) {
        return MteTagCopy.copy(this, guestIpa, length, buffer, flags, reserved0, reserved1);
    }

    private Memslot loggingSlot(int slot) {
        int addressSpace = slot >>> 16;
        int id = slot & 0xFFFF;
        if (addressSpace >= KvmConstants.KVM_ADDRESS_SPACE_NUM || id >= KvmConstants.KVM_USER_MEM_SLOTS) {
            throw new KvmException(Errno.EINVAL, "slot " + slot + " is out of range");
        }
        Memslot memslot = memslots.byId(id);
        if (memslot == null || memslot.dirty() == null) {
            throw new KvmException(Errno.ENOENT, "slot " + id + (memslot == null ? " does not exist" : " does not log dirty pages"));
        }
        return memslot;
    }

    @Override
    public void getDirtyLog(int slot, long[] bitmap) {
        DirtyBitmap dirty = loggingSlot(slot).dirty();
        int words = dirty.words();
        // kvm_get_dirty_log_protect: without manual protect the bits are fetched, cleared and the pages
        // write-protected again before copy_to_user runs, so a copy that faults has consumed them: those pages will
        // not be reported again, and a VMM whose GET failed must treat every page of the slot as possibly dirty.
        // The words that fit reach the caller, as a partial copy_to_user leaves them.
        boolean manual = manualDirtyLogProtect();
        int room = bitmap == null ? 0 : Math.min(bitmap.length, words);
        for (int i = 0; i < words; i++) {
            long bits = manual ? dirty.get(i) : dirty.fetchAndClear(i);
            if (i < room) {
                bitmap[i] = bits;
            }
        }
        if (room < words) {
            throw new KvmException(Errno.EFAULT, "the bitmap needs " + words + " words, got "
                    + (bitmap == null ? "none" : bitmap.length) + (manual ? "" : "; the slot's dirty bits are consumed"));
        }
    }

    @Override
    public void clearDirtyLog(int slot, long firstPage, int numPages, long[] bitmap) {
        int addressSpace = slot >>> 16;
        if (addressSpace >= KvmConstants.KVM_ADDRESS_SPACE_NUM || (slot & 0xFFFF) >= KvmConstants.KVM_USER_MEM_SLOTS) {
            throw new KvmException(Errno.EINVAL, "slot " + slot + " is out of range");
        }
        if ((firstPage & 63) != 0) {
            throw new KvmException(Errno.EINVAL, "first_page " + firstPage + " is not a multiple of 64");
        }
        DirtyBitmap dirty = loggingSlot(slot).dirty();
        long pages = dirty.pages();
        long count = Integer.toUnsignedLong(numPages);
        if (Long.compareUnsigned(firstPage, pages) > 0 || count > pages - firstPage
                || (count < pages - firstPage && (count & 63) != 0)) {
            throw new KvmException(Errno.EINVAL, "pages [" + firstPage + ", +" + count + ") do not fit slot of " + pages
                    + " pages in whole 64-page words");
        }
        int words = DirtyBitmap.wordsFor(count);
        if (bitmap.length < words) {
            throw new KvmException(Errno.EFAULT, "the bitmap needs " + words + " words, got " + bitmap.length);
        }
        int first = (int) (firstPage >>> 6);
        for (int i = 0; i < words; i++) {
            if (bitmap[i] != 0) {
                dirty.clear(first + i, bitmap[i]);
            }
        }
    }

    @Override
    public synchronized void startVcpus() {
        if (closed) {
            throw new IllegalStateException("the VM is closed");
        }
        for (EmulatedVcpu vcpu : vcpus) {
            if (!vcpu.runner.started()) {
                vcpu.runner.start("vcpu-" + vcpu.id());
            }
        }
    }

    @Override
    public void pauseVcpus() {
        List<EmulatedVcpu> all = new ArrayList<>(vcpus);
        for (EmulatedVcpu vcpu : all) {
            vcpu.runner.requestPause();
        }
        for (EmulatedVcpu vcpu : all) {
            vcpu.runner.awaitStopped();
        }
        synchronized (this) {
            paused = true;
        }
    }

    @Override
    public void resumeVcpus() {
        synchronized (this) {
            paused = false;
        }
        for (EmulatedVcpu vcpu : vcpus) {
            vcpu.runner.resume();
        }
    }

    @Override
    public synchronized boolean vcpusPaused() {
        return paused;
    }

    boolean halted(EmulatedVcpu vcpu) {
        try {
            return vcpu.runner.awaitHalted(System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void setThrottle(int percent) {
        if (percent < 0 || percent > 99) {
            throw new IllegalArgumentException("throttle must be 0..99 %, not " + percent);
        }
        throttle = percent;
    }

    @Override
    public int throttle() {
        return throttle;
    }

    @Override
    public boolean awaitHalted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (EmulatedVcpu vcpu : vcpus) {
            if (!vcpu.runner.awaitHalted(deadline)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Throwable vcpuFailure() {
        for (EmulatedVcpu vcpu : vcpus) {
            Throwable failure = vcpu.runner.failure();
            if (failure != null) {
                return failure;
            }
        }
        return null;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (EmulatedVcpu vcpu : vcpus) {
            vcpu.runner.stop();
        }
    }
}
