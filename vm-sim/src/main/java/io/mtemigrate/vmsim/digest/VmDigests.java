package io.mtemigrate.vmsim.digest;

import io.mtemigrate.vmsim.HostMemorySlot;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.MteTagCopier;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Full digests computed the way a VMM can: page data straight from the RAM slots' mappings, tags through
 * {@code copyMteTags(FROM_GUEST)}. The same code digests a guest on either backend. The vCPUs must be paused (or
 * not running) for the result to mean anything.
 */
public final class VmDigests {
    /** Guest memory per parallel task: small enough to spread 256 MiB over cores, large enough to cost nothing. */
    private static final long PART_BYTES = 64L << 20;
    /** Guest memory per COPY_TAGS call: 64 KiB of tags, whatever the page size. */
    private static final int TAG_CALL_GUEST_BYTES = 1 << 20;

    private VmDigests() {
    }

    public static long ram(MigratableVm vm) {
        return ram(vm.layout().pageSize(), vm.ramSlots(), vm.tags().orElse(null));
    }

    public static long ram(KvmVm vm) {
        return ram(vm.pageSize(), vm.memslots().stream().map(HostMemorySlot::of).map(RamSlot.class::cast).toList(),
                vm.mteEnabled() ? vm : null);
    }

    /**
     * The digest of all RAM and tags ({@code tags} null: a VM without MTE, all tags zero). A sum of page hashes, so
     * parts of RAM are hashed in parallel: a source verifies a migration by reading all of its RAM once more, and
     * on one core that was a tenth of the migration.
     */
    public static long ram(PageSize pageSize, List<RamSlot> slots, MteTagCopier tags) {
        long pagesPerPart = PART_BYTES / pageSize.bytes();
        List<Part> parts = new ArrayList<>();
        for (RamSlot slot : slots) {
            long pages = slot.size() / pageSize.bytes();
            for (long first = 0; first < pages; first += pagesPerPart) {
                parts.add(new Part(slot, first, Math.min(pages, first + pagesPerPart)));
            }
        }
        return parts.parallelStream().mapToLong(part -> ram(pageSize, tags, part)).sum();
    }

    private static long ram(PageSize size, MteTagCopier copier, Part part) {
        int pageSize = size.bytes();
        int tagsPerPage = size.tagsPerPage();
        int pagesPerTagCall = Math.max(1, TAG_CALL_GUEST_BYTES / pageSize);
        ByteBuffer tags = copier != null
                ? ByteBuffer.allocateDirect(pagesPerTagCall * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN) : null;
        RamSlot slot = part.slot();
        PageFingerprint fingerprint = new PageFingerprint();
        long digest = 0;
        // Where the next data is: the pages before it are holes, zero without reading them (reading commits them).
        long nextData = -1;
        long dataEnd = -1;
        for (long first = part.first(); first < part.end(); first += pagesPerTagCall) {
            int count = (int) Math.min(pagesPerTagCall, part.end() - first);
            if (tags != null) {
                copier.copyMteTags(slot.guestPhysAddr() + first * pageSize, (long) count * pageSize, tags.clear(),
                        KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            }
            for (int i = 0; i < count; i++) {
                long offset = (first + i) * pageSize;
                if (offset >= dataEnd) {
                    nextData = slot.nextData(offset);
                    dataEnd = nextData == slot.size() ? nextData : slot.nextHole(nextData);
                }
                digest += offset + pageSize <= nextData
                        ? fingerprint.zeroDataPage(slot.id(), first + i, pageSize, tags, i * tagsPerPage)
                        : fingerprint.page(slot.id(), first + i, slot.chunk(offset), slot.offsetInChunk(offset),
                        pageSize, tags, i * tagsPerPage);
            }
        }
        return digest;
    }

    /** Pages {@code first} (inclusive) to {@code end} (exclusive) of a RAM slot. */
    private record Part(RamSlot slot, long first, long end) {
    }

    /** A digest of every vCPU's saved state, in vCPU order. */
    public static long vcpus(List<VcpuSnapshot> snapshots) {
        CRC32C crc = new CRC32C();
        long h = 0x7663707573746174L;
        for (VcpuSnapshot snapshot : snapshots) {
            crc.reset();
            crc.update(snapshot.state());
            h = Long.rotateLeft(h ^ PageHash.mix(((long) snapshot.vcpuId() << 32) | crc.getValue()), 27)
                    * 0x9E3779B97F4A7C15L;
        }
        return PageHash.mix(h);
    }
}
