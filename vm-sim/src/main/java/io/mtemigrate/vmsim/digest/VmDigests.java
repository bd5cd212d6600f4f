package io.mtemigrate.vmsim.digest;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Full digests computed the way a VMM can: page data straight from the memslots' host memory, tags through
 * {@code copyMteTags(FROM_GUEST)}. The vCPUs must be paused (or not running) for the result to mean anything.
 */
public final class VmDigests {
    private static final int PAGES_PER_TAG_CALL = 256;

    private VmDigests() {
    }

    public static long ram(KvmVm vm) {
        int pageSize = vm.pageSize().bytes();
        int tagsPerPage = vm.pageSize().tagsPerPage();
        ByteBuffer tags = vm.mteEnabled()
                ? ByteBuffer.allocateDirect(PAGES_PER_TAG_CALL * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN) : null;
        long digest = 0;
        for (UserMemoryRegion region : vm.memslots()) {
            HostMemory memory = region.memory();
            long pages = region.memorySize() / pageSize;
            for (long first = 0; first < pages; first += PAGES_PER_TAG_CALL) {
                int count = (int) Math.min(PAGES_PER_TAG_CALL, pages - first);
                if (tags != null) {
                    vm.copyMteTags(region.guestPhysAddr() + first * pageSize, (long) count * pageSize, tags.clear(),
                            KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
                }
                for (int i = 0; i < count; i++) {
                    long offset = region.memoryOffset() + (first + i) * pageSize;
                    // A hole reads as zero; reading it would only commit memory.
                    digest += memory.isHole(offset)
                            ? RamDigest.zeroPageHash(region.slot(), first + i, pageSize, tags, i * tagsPerPage)
                            : RamDigest.pageHash(region.slot(), first + i, memory.chunk(offset),
                            HostMemory.offsetInChunk(offset), pageSize, tags, i * tagsPerPage);
                }
            }
        }
        return digest;
    }

    /** A digest of every vCPU's registers, in vCPU order. */
    public static long vcpus(List<VcpuState> states) {
        long h = 0x7663707573746174L;
        for (VcpuState s : states) {
            for (long x : s.x()) {
                h = step(h, x);
            }
            h = step(step(step(step(step(step(h, s.sp()), s.pc()), s.pstate()), s.sctlrEl1()), s.steps()), s.tagCheckFaults());
            MteSysRegs mte = s.mte();
            if (mte != null) {
                h = step(step(step(step(h, mte.gcrEl1()), mte.rgsrEl1()), mte.tfsrEl1()), mte.tfsre0El1());
            }
        }
        return PageHash.mix(h);
    }

    private static long step(long h, long value) {
        return Long.rotateLeft(h ^ PageHash.mix(value), 27) * 0x9E3779B97F4A7C15L;
    }
}
