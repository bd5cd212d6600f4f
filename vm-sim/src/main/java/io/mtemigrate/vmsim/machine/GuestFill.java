package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.digest.PageHash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.LongStream;

/**
 * Fills guest RAM the way firmware or a restored image would before the vCPUs start: data through the host
 * mapping, tags through {@code copyMteTags(TO_GUEST)}. Every byte is a function of the seed and its guest address,
 * so the fill is the same whatever the thread split, and granules follow the self-describing convention (the low
 * nibble of the first word is the granule's tag) that the guest programs check.
 */
final class GuestFill {
    private static final int PAGES_PER_BATCH = 256;

    private GuestFill() {
    }

    static void fill(KvmVm vm, Fill fill, long seed) {
        if (fill == Fill.ZERO) {
            return;
        }
        int pageSize = vm.pageSize().bytes();
        for (UserMemoryRegion region : vm.memslots()) {
            long pages = region.memorySize() / pageSize;
            long batches = (pages + PAGES_PER_BATCH - 1) / PAGES_PER_BATCH;
            LongStream.range(0, batches).parallel().forEach(batch -> {
                long first = batch * PAGES_PER_BATCH;
                int count = (int) Math.min(PAGES_PER_BATCH, pages - first);
                fillBatch(vm, region, first, count, fill, seed);
            });
        }
    }

    private static void fillBatch(KvmVm vm, UserMemoryRegion region, long firstPage, int count, Fill fill, long seed) {
        int pageSize = vm.pageSize().bytes();
        int tagsPerPage = vm.pageSize().tagsPerPage();
        ByteBuffer tags = ByteBuffer.allocate(count * tagsPerPage).order(ByteOrder.LITTLE_ENDIAN);
        HostMemory memory = region.memory();
        for (int i = 0; i < count; i++) {
            long ipa = region.guestPhysAddr() + (firstPage + i) * pageSize;
            long hostOffset = region.memoryOffset() + (firstPage + i) * pageSize;
            int tagBase = i * tagsPerPage;
            fillTags(fill, seed, ipa, pageSize, tags, tagBase);
            for (int offset = 0; offset < pageSize; offset += 16) {
                int tag = tags.get(tagBase + (offset >>> 4));
                long address = ipa + offset;
                long w0;
                long w1;
                if (fill == Fill.PATTERN) {
                    w0 = address * 0x0101_0101_0101_0101L ^ seed;
                    w1 = ~w0;
                } else {
                    w0 = PageHash.mix(seed * 0x9E3779B97F4A7C15L ^ address);
                    w1 = PageHash.mix(seed * 0x9E3779B97F4A7C15L ^ (address + 8));
                }
                memory.putLong(hostOffset + offset, (w0 & ~0xFL) | tag);
                memory.putLong(hostOffset + offset + 8, w1);
            }
        }
        if (vm.mteEnabled()) {
            long ipa = region.guestPhysAddr() + firstPage * pageSize;
            vm.copyMteTags(ipa, (long) count * pageSize, tags, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
        }
    }

    private static void fillTags(Fill fill, long seed, long ipa, int pageSize, ByteBuffer tags, int base) {
        int granules = pageSize >>> 4;
        switch (fill) {
            case RANDOM -> {
                for (int g = 0; g < granules; g++) {
                    tags.put(base + g, (byte) (PageHash.mix(~seed ^ (ipa + 16L * g)) & 0xF));
                }
            }
            case PATTERN -> {
                for (int g = 0; g < granules; g++) {
                    tags.put(base + g, (byte) (((ipa >>> 4) + g) & 0xF));
                }
            }
            case ALLOC -> {
                int g = 0;
                while (g < granules) {
                    long h = PageHash.mix(seed ^ (ipa + 16L * g) ^ 0xA110CL);
                    int blockGranules = Math.min(1 << (int) Long.remainderUnsigned(h, 9), granules - g);
                    byte tag = (byte) (1 + Long.remainderUnsigned(h >>> 8, 15));
                    for (int end = g + blockGranules; g < end; g++) {
                        tags.put(base + g, tag);
                    }
                }
            }
            case ZERO -> {
            }
        }
    }
}
