package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.GuestContext;
import io.mtemigrate.vmsim.guest.RandomTags;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import io.mtemigrate.vmsim.uffd.GuestPageGate;

/**
 * A vCPU's registers and its view of guest memory. Only the vCPU's own thread touches it while it runs; the VMM
 * reads and writes the registers only while the vCPU is stopped.
 *
 * <p>On a VM with a userfaultfd every access first asks the gate whether its page is missing, and every store is
 * recorded so that a step that meets a missing page can be taken back ({@link #rollBack}). On any other VM the
 * gate is null and each access pays one null check.
 */
final class GuestCpu implements GuestContext {
    private final EmulatedVm vm;
    private final StoreTracker stores;
    private final boolean mte;
    private Memslot cachedSlot;
    private Memslot[] cachedSlots;
    private GuestPageGate gate;
    private final StepUndo undo = new StepUndo();
    private final long[] savedX = new long[VcpuState.GENERAL_REGISTERS];
    private final long[] saved = new long[10];

    final long[] x = new long[VcpuState.GENERAL_REGISTERS];
    long sp;
    long pc;
    long pstate;
    long sctlr;
    long steps;
    long tagCheckFaults;
    long gcr;
    long rgsr;
    long tfsr;
    long tfsre0;

    GuestCpu(EmulatedVm vm, StoreTracker stores) {
        this.vm = vm;
        this.stores = stores;
        this.mte = vm.mteEnabled();
        this.sctlr = VcpuState.TCF_SYNC << VcpuState.SCTLR_TCF0_SHIFT;
    }

    VcpuState state() {
        MteSysRegs regs = mte ? new MteSysRegs(gcr, rgsr, tfsr, tfsre0) : null;
        return new VcpuState(x, sp, pc, pstate, sctlr, steps, tagCheckFaults, regs);
    }

    void restore(VcpuState state) {
        System.arraycopy(state.x(), 0, x, 0, x.length);
        sp = state.sp();
        pc = state.pc();
        pstate = state.pstate();
        sctlr = state.sctlrEl1();
        steps = state.steps();
        tagCheckFaults = state.tagCheckFaults();
        MteSysRegs regs = state.mte();
        if (regs != null) {
            gcr = regs.gcrEl1();
            rgsr = regs.rgsrEl1();
            tfsr = regs.tfsrEl1();
            tfsre0 = regs.tfsre0El1();
        }
    }

    void beginStep() {
        Memslot[] current = vm.slotArray();
        if (current != cachedSlots) {
            cachedSlots = current;
            cachedSlot = null;
        }
        gate = vm.pageGate();
        if (gate != null) {
            undo.clear();
            save();
        }
    }

    private void save() {
        System.arraycopy(x, 0, savedX, 0, x.length);
        long[] s = saved;
        s[0] = sp;
        s[1] = pc;
        s[2] = pstate;
        s[3] = sctlr;
        s[4] = steps;
        s[5] = tagCheckFaults;
        s[6] = gcr;
        s[7] = rgsr;
        s[8] = tfsr;
        s[9] = tfsre0;
    }

    /** Takes back the step that threw a {@link MissingPageFault}: its stores and its register changes. */
    void rollBack() {
        undo.undo();
        System.arraycopy(savedX, 0, x, 0, x.length);
        long[] s = saved;
        sp = s[0];
        pc = s[1];
        pstate = s[2];
        sctlr = s[3];
        steps = s[4];
        tagCheckFaults = s[5];
        gcr = s[6];
        rgsr = s[7];
        tfsr = s[8];
        tfsre0 = s[9];
    }

    /**
     * Before a store on a VM with a userfaultfd: the page must be present, and the old value is kept for a rollback.
     * Kept even for a store a tag check then suppresses, which puts back what is there anyway; one call and one
     * null check in the caller keep the store's own code small enough to stay inlined.
     */
    private void prepareStore(Memslot slot, long offset, long ipa, boolean tag) {
        requirePresent(slot, offset, ipa, true);
        if (tag) {
            // touch() may clear the tags of a page nobody tagged yet; record what the guest sees, after it.
            touch(slot.memory, offset);
            undo.tag(slot.memory, offset);
        } else {
            undo.data(slot.memory, offset);
        }
    }

    /** Throws before the access when the page is missing: nothing of the access has happened yet. */
    private void requirePresent(Memslot slot, long offset, long ipa, boolean write) {
        if (gate.isMissing(slot.memory, offset)) {
            long mask = vm.pageSize().mask();
            throw new MissingPageFault(gate, slot.memory, offset & ~mask, ipa & ~mask, write);
        }
    }

    void endStep() {
        stores.endOfStep();
    }

    @Override
    public long x(int register) {
        return x[register];
    }

    @Override
    public void setX(int register, long value) {
        x[register] = value;
    }

    @Override
    public long pc() {
        return pc;
    }

    @Override
    public void setPc(long value) {
        pc = value;
    }

    @Override
    public int pageSize() {
        return vm.pageSize().bytes();
    }

    @Override
    public boolean mteEnabled() {
        return mte;
    }

    private Memslot slotFor(long ipa) {
        Memslot slot = cachedSlot;
        if (slot != null && slot.contains(ipa)) {
            return slot;
        }
        slot = vm.findSlot(cachedSlots, ipa);
        if (slot == null) {
            throw new GuestFault("guest access to IPA 0x" + Long.toHexString(ipa) + " outside every memslot");
        }
        if (mte && !slot.memory.canHoldTags()) {
            // mmu.c:user_mem_abort: an MTE VM's stage-2 fault on a VMA without VM_MTE_ALLOWED (a slot made before
            // MTE was enabled) fails this vCPU's KVM_RUN with -EFAULT; the VM and the other vCPUs are untouched.
            throw new KvmException(Errno.EFAULT, "KVM_RUN: guest access to IPA 0x" + Long.toHexString(ipa)
                    + " in memslot " + slot.id + ", whose host memory cannot hold MTE tags");
        }
        cachedSlot = slot;
        return slot;
    }

    /** A guest's first touch of a page that was never tagged clears its tags (the kernel's sanitise_mte_tags). */
    private void touch(HostMemory memory, long offset) {
        long pageOffset = offset & ~vm.pageSize().mask();
        if (!memory.isTagged(pageOffset)) {
            memory.clearPageTags(pageOffset);
            memory.markTagged(pageOffset);
        }
    }

    /** True when the access may go ahead. */
    private boolean checkTag(Memslot slot, long offset, long pointer) {
        if (!mte) {
            return true;
        }
        HostMemory memory = slot.memory;
        touch(memory, offset);
        if ((pstate & VcpuState.PSTATE_TCO) != 0 || memory.tag(offset) == TaggedPointers.tagOf(pointer)) {
            return true;
        }
        if (((sctlr >>> VcpuState.SCTLR_TCF0_SHIFT) & 3) == VcpuState.TCF_ASYNC) {
            tfsre0 |= MteSysRegs.TF0;
            return true;
        }
        tagCheckFaults++;
        return false;
    }

    @Override
    public long load64(long pointer) {
        long ipa = TaggedPointers.address(pointer);
        Memslot slot = slotFor(ipa);
        long offset = slot.hostOffset(ipa);
        if (gate != null) {
            requirePresent(slot, offset, ipa, false);
        }
        return checkTag(slot, offset, pointer) ? slot.memory.getLong(offset) : 0L;
    }

    @Override
    public long load64Unchecked(long pointer) {
        long ipa = TaggedPointers.address(pointer);
        Memslot slot = slotFor(ipa);
        long offset = slot.hostOffset(ipa);
        if (gate != null) {
            requirePresent(slot, offset, ipa, false);
        }
        if (mte) {
            touch(slot.memory, offset);
        }
        return slot.memory.getLong(offset);
    }

    private Memslot writableSlot(long ipa) {
        Memslot slot = slotFor(ipa);
        if (slot.readOnly) {
            throw new GuestFault("guest store to read-only memslot " + slot.id + " at IPA 0x" + Long.toHexString(ipa));
        }
        return slot;
    }

    @Override
    public void store64(long pointer, long value) {
        long ipa = TaggedPointers.address(pointer);
        Memslot slot = writableSlot(ipa);
        long offset = slot.hostOffset(ipa);
        if (gate != null) {
            prepareStore(slot, offset, ipa, false);
        }
        if (!checkTag(slot, offset, pointer)) {
            return;
        }
        long page = slot.pageOf(ipa);
        stores.beforeStore(slot, page);
        slot.memory.putLong(offset, value);
        stores.afterStore(slot, page);
    }

    @Override
    public void storeTag(long pointer) {
        if (!mte) {
            return;
        }
        long ipa = TaggedPointers.address(pointer);
        Memslot slot = writableSlot(ipa);
        long offset = slot.hostOffset(ipa);
        if (gate != null) {
            prepareStore(slot, offset, ipa, true);
        }
        touch(slot.memory, offset);
        long page = slot.pageOf(ipa);
        stores.beforeStore(slot, page);
        slot.memory.setTag(offset, TaggedPointers.tagOf(pointer));
        stores.afterStore(slot, page);
    }

    @Override
    public long loadTag(long pointer) {
        long ipa = TaggedPointers.address(pointer);
        if (!mte) {
            return ipa;
        }
        Memslot slot = slotFor(ipa);
        long offset = slot.hostOffset(ipa);
        if (gate != null) {
            requirePresent(slot, offset, ipa, false);
        }
        touch(slot.memory, offset);
        return TaggedPointers.withTag(ipa, slot.memory.tag(offset));
    }

    @Override
    public long randomTag(long pointer, int excludeMask) {
        long ipa = TaggedPointers.address(pointer);
        if (!mte) {
            return ipa;
        }
        int exclude = (int) (gcr & 0xFFFF) | excludeMask;
        rgsr = RandomTags.irg(rgsr, exclude);
        return TaggedPointers.withTag(ipa, (int) (rgsr & 0xF));
    }
}
