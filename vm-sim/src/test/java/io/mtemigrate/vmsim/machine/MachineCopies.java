package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVcpu;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuState;

import java.nio.ByteBuffer;
import java.util.List;

/** Moves a paused VM's RAM, tags and registers into another VM by hand: a migration without the network. */
public final class MachineCopies {
    private MachineCopies() {
    }

    public static void copyState(SimulatedMachine from, SimulatedMachine to) {
        KvmVm source = from.vm();
        KvmVm target = to.vm();
        int pageSize = source.pageSize().bytes();
        List<UserMemoryRegion> fromSlots = source.memslots();
        List<UserMemoryRegion> toSlots = target.memslots();
        for (int s = 0; s < fromSlots.size(); s++) {
            UserMemoryRegion a = fromSlots.get(s);
            UserMemoryRegion b = toSlots.get(s);
            for (long offset = 0; offset < a.memorySize(); offset += pageSize) {
                HostMemory src = a.memory();
                b.memory().write(b.memoryOffset() + offset, src.chunk(a.memoryOffset() + offset),
                        HostMemory.offsetInChunk(a.memoryOffset() + offset), pageSize);
            }
            if (source.mteEnabled()) {
                ByteBuffer tags = ByteBuffer.allocate((int) (a.memorySize() >>> 4));
                source.copyMteTags(a.guestPhysAddr(), a.memorySize(), tags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
                target.copyMteTags(b.guestPhysAddr(), b.memorySize(), tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
            }
        }
        List<KvmVcpu> fromVcpus = source.vcpus();
        List<KvmVcpu> toVcpus = target.vcpus();
        for (int i = 0; i < fromVcpus.size(); i++) {
            VcpuState state = fromVcpus.get(i).getState();
            toVcpus.get(i).setState(state);
        }
    }
}
