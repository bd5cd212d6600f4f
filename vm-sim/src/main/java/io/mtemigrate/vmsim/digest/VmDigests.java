package io.mtemigrate.vmsim.digest;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Full digests computed the way a VMM can: page data straight from the memslots' host memory, tags through
 * {@code copyMteTags(FROM_GUEST)}. The vCPUs must be paused (or not running) for the result to mean anything.
 */
public final class VmDigests {
    /** Guest memory per parallel task: small enough to spread 256 MiB over cores, large enough to cost nothing. */
    private static final long PART_BYTES = 64L << 20;
    /** Guest memory per COPY_TAGS call: 64 KiB of tags, whatever the page size. */
    private static final int TAG_CALL_GUEST_BYTES = 1 << 20;

    private VmDigests() {
    }

    /**
     * The digest of all RAM and tags. A sum of page hashes, so parts of RAM are hashed in parallel: a source
     * verifies a migration by reading all of its RAM once more, and on one core that was a tenth of the migration.
     */
    public static long ram(KvmVm vm) {
        int pageSize = vm.pageSize().bytes();
        long pagesPerPart = PART_BYTES / pageSize;
        List<Part> parts = new ArrayList<>();
        for (UserMemoryRegion region : vm.memslots()) {
            long pages = region.memorySize() / pageSize;
            for (long first = 0; first < pages; first += pagesPerPart) {
                parts.add(new Part(region, first, Math.min(pages, first + pagesPerPart)));
            }
        }
        return parts.parallelStream().mapToLong(part -> ram(vm, part)).sum();
    }

    private static long ram(KvmVm vm, Part part) {
        int pageSize = vm.pageSize().bytes();
        int tagsPerPage = vm.pageSize().tagsPerPage();
        int pagesPerTagCall = Math.max(1, TAG_CALL_GUEST_BYTES / pageSize);
        ByteBuffer tags = vm.mteEnabled()
                ? ByteBuffer.allocateDirect(pagesPerTagCall * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN) : null;
        UserMemoryRegion region = part.region();
        HostMemory memory = region.memory();
        PageFingerprint fingerprint = new PageFingerprint();
        long digest = 0;
        // Where the next data is: the pages before it are holes, zero without reading them (reading commits them).
        long nextData = -1;
        long dataEnd = -1;
        for (long first = part.first(); first < part.end(); first += pagesPerTagCall) {
            int count = (int) Math.min(pagesPerTagCall, part.end() - first);
            if (tags != null) {
                vm.copyMteTags(region.guestPhysAddr() + first * pageSize, (long) count * pageSize, tags.clear(),
                        KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            }
            for (int i = 0; i < count; i++) {
                long offset = region.memoryOffset() + (first + i) * pageSize;
                if (offset >= dataEnd) {
                    nextData = memory.nextData(offset);
                    dataEnd = nextData == memory.size() ? nextData : memory.nextHole(nextData);
                }
                digest += offset + pageSize <= nextData
                        ? fingerprint.zeroDataPage(region.slot(), first + i, pageSize, tags, i * tagsPerPage)
                        : fingerprint.page(region.slot(), first + i, memory.chunk(offset),
                        HostMemory.offsetInChunk(offset), pageSize, tags, i * tagsPerPage);
            }
        }
        return digest;
    }

    /** Pages {@code first} (inclusive) to {@code end} (exclusive) of a memslot. */
    private record Part(UserMemoryRegion region, long first, long end) {
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
