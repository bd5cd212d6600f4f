package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmDevice;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.machine.MachineLayout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** What of a layout this host's KVM cannot build, said before anything is made. */
final class LayoutCheck {
    private static final int KNOWN_FLAGS = KvmConstants.KVM_MEM_LOG_DIRTY_PAGES | KvmConstants.KVM_MEM_READONLY;

    private LayoutCheck() {
    }

    /** @throws IllegalArgumentException naming the first thing that does not fit */
    static void check(MachineLayout layout, KvmDevice kvm) {
        if (!KvmMachine.KIND.equals(layout.kind())) {
            throw new IllegalArgumentException("this host builds " + KvmMachine.KIND + " VMs, and the layout is of a "
                    + layout.kind() + " VM: vCPU state does not move between backends or architectures");
        }
        if (layout.pageSize() != PageSize.SIZE_4K) {
            throw new IllegalArgumentException("x86-64 KVM maps guest memory in 4K pages, and the layout has "
                    + layout.pageSize() + " pages");
        }
        if (layout.mte() && kvm.checkExtension(KvmCaps.KVM_CAP_ARM_MTE) <= 0) {
            throw new IllegalArgumentException("the layout asks for MTE, and this host's KVM has no KVM_CAP_ARM_MTE"
                    + " (an x86-64 host never has)");
        }
        int maxVcpus = maxVcpus(kvm);
        if (layout.vcpus() < 1 || layout.vcpus() > maxVcpus) {
            throw new IllegalArgumentException("the layout has " + layout.vcpus() + " vCPUs; this host's KVM takes 1 to "
                    + maxVcpus + " (KVM_CAP_MAX_VCPUS)");
        }
        checkSlots(layout.slots(), kvm.checkExtension(KvmCaps.KVM_CAP_NR_MEMSLOTS));
    }

    private static int maxVcpus(KvmDevice kvm) {
        int max = kvm.checkExtension(KvmCaps.KVM_CAP_MAX_VCPUS);
        if (max <= 0) {
            max = kvm.checkExtension(KvmCaps.KVM_CAP_NR_VCPUS);
        }
        // Documentation/virt/kvm/api.rst: without either capability, assume 4.
        return max > 0 ? max : 4;
    }

    private static void checkSlots(List<MachineLayout.Slot> slots, int maxSlots) {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("the layout has no memslot");
        }
        if (maxSlots > 0 && slots.size() > maxSlots) {
            throw new IllegalArgumentException("the layout has " + slots.size() + " memslots; this host's KVM takes "
                    + maxSlots + " (KVM_CAP_NR_MEMSLOTS)");
        }
        for (MachineLayout.Slot slot : slots) {
            if (slot.size() <= 0 || !PageSize.SIZE_4K.isAligned(slot.size())
                    || !PageSize.SIZE_4K.isAligned(slot.guestPhysAddr()) || slot.guestPhysAddr() < 0) {
                throw new IllegalArgumentException(describe(slot) + " is empty or not 4K aligned");
            }
            if ((slot.flags() & ~KNOWN_FLAGS) != 0 || slot.id() < 0 || (maxSlots > 0 && slot.id() >= maxSlots)) {
                throw new IllegalArgumentException(describe(slot) + " has id or flags (0x"
                        + Integer.toHexString(slot.flags()) + ") this backend cannot map");
            }
        }
        List<MachineLayout.Slot> byAddress = new ArrayList<>(slots);
        byAddress.sort(Comparator.comparingLong(MachineLayout.Slot::guestPhysAddr));
        for (int i = 1; i < byAddress.size(); i++) {
            MachineLayout.Slot before = byAddress.get(i - 1);
            if (before.guestPhysAddr() + before.size() > byAddress.get(i).guestPhysAddr()) {
                throw new IllegalArgumentException(describe(before) + " overlaps " + describe(byAddress.get(i)));
            }
        }
        if (slots.stream().map(MachineLayout.Slot::id).distinct().count() != slots.size()) {
            throw new IllegalArgumentException("the layout has two memslots with the same id");
        }
    }

    private static String describe(MachineLayout.Slot slot) {
        return "memslot " + slot.id() + " (" + slot.size() + " bytes at guest physical 0x"
                + Long.toHexString(slot.guestPhysAddr()) + ")";
    }
}
