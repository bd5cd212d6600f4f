package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.Kvm;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.digest.PageHash;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import java.nio.ByteBuffer;

import java.util.HashMap;
import java.util.Map;

/**
 * A deliberately broken KVM for tests: its dirty log reports only pages whose data changed, as a tracker that
 * ignored tag-only stores would. Pages a guest merely retagged are never sent again.
 */
final class DataOnlyDirtyTracking implements Kvm {
    private final EmulatedKvm real = EmulatedKvm.withMte();

    @Override
    public int checkExtension(int capability) {
        return real.checkExtension(capability);
    }

    @Override
    public KvmVm createVm(PageSize pageSize) {
        return new Vm(real.createVm(pageSize));
    }

    private static final class Vm extends DelegatingVm {
        private final Map<Integer, long[]> dataHashes = new HashMap<>();

        Vm(KvmVm vm) {
            super(vm);
        }

        @Override
        public void getDirtyLog(int slot, long[] bitmap) {
            vm.getDirtyLog(slot, bitmap);
            UserMemoryRegion region = region(slot);
            long[] hashes = dataHashes.computeIfAbsent(slot, s -> hashes(region));
            long[] now = hashes(region);
            for (int page = 0; page < now.length; page++) {
                if (now[page] == hashes[page]) {
                    bitmap[page >>> 6] &= ~(1L << page);
                }
            }
            dataHashes.put(slot, now);
        }

        private UserMemoryRegion region(int slot) {
            return vm.memslots().stream().filter(r -> r.slot() == slot).findFirst().orElseThrow();
        }

        private long[] hashes(UserMemoryRegion region) {
            int pageSize = vm.pageSize().bytes();
            long[] hashes = new long[(int) (region.memorySize() / pageSize)];
            HostMemory memory = region.memory();
            long zeroPage = PageHash.hash(ByteBuffer.allocate(pageSize), 0, pageSize, 1);
            for (int page = 0; page < hashes.length; page++) {
                long offset = region.memoryOffset() + (long) page * pageSize;
                // A hole reads as zero; reading it would commit it, and the migration would no longer see it as one.
                hashes[page] = memory.nextData(offset) >= offset + pageSize ? zeroPage
                        : PageHash.hash(memory.chunk(offset), HostMemory.offsetInChunk(offset), pageSize, 1);
            }
            return hashes;
        }

        @Override
        public void setUserMemoryRegion(UserMemoryRegion region) {
            vm.setUserMemoryRegion(region);
            if (region.logsDirtyPages()) {
                // The data as dirty logging starts: what the first GET compares against.
                dataHashes.put(region.slot(), hashes(region));
            }
        }
    }
}
