package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.BitRanges;
import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.uffd.PageFault;
import io.mtemigrate.vmsim.uffd.UffdConstants;
import io.mtemigrate.vmsim.uffd.UffdException;
import io.mtemigrate.vmsim.uffd.UserFaultFd;
import io.mtemigrate.vmsim.vmm.ArrivingRam;
import io.mtemigrate.vmsim.vmm.MissingPage;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Post-copy RAM over the emulator's userfaultfd, the way a VMM drives the proposed kernel interface: expected
 * pages are punched out of the memory file and registered missing; installs are {@code UFFDIO_COPY} and
 * {@code UFFDIO_ZEROPAGE} with the MTE_TAGS mode, and an EEXIST (the other path won) skips just that page.
 */
final class UffdArrivingRam implements ArrivingRam {
    private final UserFaultFd uffd;
    private final List<UserMemoryRegion> slots;
    private final int pageBytes;
    private final int tagsPerPage;

    UffdArrivingRam(KvmVm vm, UserFaultFd uffd) {
        this.uffd = uffd;
        this.slots = vm.memslots();
        this.pageBytes = vm.pageSize().bytes();
        this.tagsPerPage = vm.pageSize().tagsPerPage();
    }

    /**
     * Punches out each run of expected pages, then registers the whole slot at once: one registration instead of
     * one per run, which on a scattered dirty set would cost most of the switch. The slot's other holes (pages the
     * target never got data for, zero on both sides) become missing too, and the VMM installs them as zero pages.
     */
    @Override
    public void expect(int slotIndex, long[] pages) {
        UserMemoryRegion slot = slots.get(slotIndex);
        long slotPages = slot.memorySize() / pageBytes;
        long page = BitRanges.nextSet(pages, 0, slotPages);
        while (page < slotPages) {
            long end = BitRanges.nextClear(pages, page, slotPages);
            slot.memory().discard(slot.memoryOffset() + page * pageBytes, end - page);
            page = BitRanges.nextSet(pages, end, slotPages);
        }
        uffd.register(slot.guestPhysAddr(), slot.memorySize(), UffdConstants.UFFDIO_REGISTER_MODE_MISSING);
    }

    @Override
    public Optional<MissingPage> awaitFault(Duration timeout) throws InterruptedException {
        Optional<PageFault> fault = uffd.readFault(timeout);
        if (fault.isEmpty()) {
            return Optional.empty();
        }
        long ipa = fault.get().address();
        for (int i = 0; i < slots.size(); i++) {
            UserMemoryRegion slot = slots.get(i);
            if (ipa - slot.guestPhysAddr() >= 0 && ipa - slot.guestPhysAddr() < slot.memorySize()) {
                return Optional.of(new MissingPage(i, (ipa - slot.guestPhysAddr()) / pageBytes, fault.get().vcpuId(),
                        fault.get().write()));
            }
        }
        throw new IllegalStateException("a fault at IPA 0x" + Long.toHexString(ipa) + ", outside every memslot");
    }

    @Override
    public int install(int slotIndex, long firstPage, int count, ByteBuffer data, ByteBuffer tags) {
        return installRun(slotIndex, firstPage, count, data, tags);
    }

    @Override
    public int installZeros(int slotIndex, long firstPage, int count, ByteBuffer tags) {
        return installRun(slotIndex, firstPage, count, null, tags);
    }

    /** Page runs up to the first present page, which is skipped; the buffers' positions are restored. */
    private int installRun(int slotIndex, long firstPage, int count, ByteBuffer data, ByteBuffer tags) {
        UserMemoryRegion slot = slots.get(slotIndex);
        int dataStart = data == null ? 0 : data.position();
        int tagStart = tags == null ? 0 : tags.position();
        int installed = 0;
        try {
            int at = 0;
            while (at < count) {
                if (data != null) {
                    data.position(dataStart + at * pageBytes);
                }
                if (tags != null) {
                    tags.position(tagStart + at * tagsPerPage);
                }
                long ipa = slot.guestPhysAddr() + (firstPage + at) * pageBytes;
                long length = (long) (count - at) * pageBytes;
                try {
                    long done = data != null
                            ? uffd.copy(ipa, data, length, tags == null ? 0 : UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags)
                            : uffd.zeroPage(ipa, length, tags == null ? 0 : UffdConstants.UFFDIO_ZEROPAGE_MODE_MTE_TAGS, tags);
                    installed += (int) (done / pageBytes);
                    at += (int) (done / pageBytes);
                } catch (UffdException e) {
                    if (e.errno() != Errno.EEXIST) {
                        throw e;
                    }
                    at++;
                }
            }
        } finally {
            if (data != null) {
                data.position(dataStart);
            }
            if (tags != null) {
                tags.position(tagStart);
            }
        }
        return installed;
    }

    @Override
    public void close() {
        uffd.close();
    }
}
