package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vCPUs write without pause while a copier follows the dirty log round after round, as a migration source does;
 * after the final paused round the copy must equal guest memory, data and tags. The same harness, with the page
 * marked dirty before the store instead of after, loses writes: that is what the ordering rule prevents.
 */
class DirtyTrackingStressTest {
    private static final int MIN_ROUNDS = 2_000;

    /** Rounds the copier has finished; lets the broken tracker below wait for one, whatever the scheduling. */
    private static final AtomicLong COPIER_ROUNDS = new AtomicLong();

    /**
     * A tracker with the forbidden order: the bit is set, then the store lands. Between the two it lets the
     * copier finish a round, an interleaving that order permits on any machine; forcing it makes the failure
     * certain rather than a matter of scheduling luck. (The copier never blocks, so the wait always ends; the
     * 10 s bound only keeps a broken harness from hanging.)
     */
    static final class MarksBeforeStore implements StoreTracker {
        @Override
        public void beforeStore(Memslot slot, long page) {
            slot.markDirty(page);
            long seen = COPIER_ROUNDS.get();
            long end = System.nanoTime() + 10_000_000_000L;
            while (COPIER_ROUNDS.get() < seen + 2 && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void afterStore(Memslot slot, long page) {
        }

        @Override
        public void endOfStep() {
        }
    }

    /** Runs the copier against a live guest and returns how many pages differ after the final round. */
    static long differingPagesAfterCopy(Supplier<StoreTracker> trackers, Workload workload, PageSize pageSize) throws Exception {
        MachineSpec spec = new MachineSpec(2L * 256 * pageSize.bytes(), pageSize, 2, true, workload, Fill.RANDOM, 11, 0, 0);
        try (SimulatedMachine machine = SimulatedMachine.boot(new EmulatedKvm(true, trackers), spec);
             HostMemory copy = HostMemory.anonymous(spec.ramBytes(), pageSize)) {
            KvmVm vm = machine.vm();
            UserMemoryRegion slot = vm.memslots().get(0);
            vm.setUserMemoryRegion(slot.withFlags(KvmConstants.KVM_MEM_LOG_DIRTY_PAGES));
            long pages = slot.memorySize() / pageSize.bytes();
            ByteBuffer copiedTags = ByteBuffer.allocate((int) (slot.memorySize() >>> 4));
            for (long page = 0; page < pages; page++) {
                copyPage(vm, slot, copy, copiedTags, page);
            }
            machine.start();
            long[] bitmap = new long[(int) ((pages + 63) / 64)];
            // Another thread pauses the guest while this one keeps copying, so a vCPU that waits for the copier
            // in the middle of a step can always finish it.
            long firstRound = COPIER_ROUNDS.get();
            AtomicBoolean paused = new AtomicBoolean();
            Thread pauser = Thread.ofPlatform().start(() -> {
                await().pollDelay(Duration.ofMillis(400)).atMost(Duration.ofMinutes(2))
                        .until(() -> COPIER_ROUNDS.get() - firstRound >= MIN_ROUNDS);
                machine.pause();
                paused.set(true);
            });
            while (!paused.get()) {
                copyDirtyPages(vm, slot, copy, copiedTags, bitmap);
            }
            pauser.join();
            copyDirtyPages(vm, slot, copy, copiedTags, bitmap);
            assertNull(vm.vcpuFailure());
            assertTrue(machine.totalSteps() > 0);
            return differingPages(vm, slot, copy, copiedTags);
        }
    }

    private static void copyDirtyPages(KvmVm vm, UserMemoryRegion slot, HostMemory copy, ByteBuffer tags, long[] bitmap) {
        COPIER_ROUNDS.incrementAndGet();
        vm.getDirtyLog(slot.slot(), bitmap);
        for (int word = 0; word < bitmap.length; word++) {
            for (long bits = bitmap[word]; bits != 0; bits &= bits - 1) {
                copyPage(vm, slot, copy, tags, word * 64L + Long.numberOfTrailingZeros(bits));
            }
        }
    }

    private static void copyPage(KvmVm vm, UserMemoryRegion slot, HostMemory copy, ByteBuffer tags, long page) {
        int pageSize = vm.pageSize().bytes();
        long offset = page * pageSize;
        copy.write(offset, slot.memory().chunk(offset), HostMemory.offsetInChunk(offset), pageSize);
        vm.copyMteTags(slot.guestPhysAddr() + offset, pageSize, tags.duplicate().position((int) (offset >>> 4)),
                KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
    }

    private static long differingPages(KvmVm vm, UserMemoryRegion slot, HostMemory copy, ByteBuffer copiedTags) {
        int pageSize = vm.pageSize().bytes();
        ByteBuffer actualTags = ByteBuffer.allocate(copiedTags.capacity());
        vm.copyMteTags(slot.guestPhysAddr(), slot.memorySize(), actualTags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        long differing = 0;
        for (long offset = 0; offset < slot.memorySize(); offset += pageSize) {
            boolean same = true;
            for (int i = 0; i < pageSize && same; i += 8) {
                same = copy.getLong(offset + i) == slot.memory().getLong(offset + i);
            }
            int tagsAt = (int) (offset >>> 4);
            same &= copiedTags.slice(tagsAt, pageSize >>> 4).equals(actualTags.slice(tagsAt, pageSize >>> 4));
            if (!same) {
                differing++;
            }
        }
        return differing;
    }

    @ParameterizedTest
    @EnumSource(value = Workload.class, names = {"STREAM", "HOTSET", "TAGONLY", "RANDOM", "ALLOC"})
    void shouldEndWithAnExactCopyWhenPagesAreMarkedAfterTheirStores(Workload workload) throws Exception {
        assertEquals(0, differingPagesAfterCopy(DeferredDirtyMarks::new, workload, PageSize.SIZE_4K));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldEndWithAnExactCopyForEveryPageSize(PageSize pageSize) throws Exception {
        assertEquals(0, differingPagesAfterCopy(DeferredDirtyMarks::new, Workload.HOTSET, pageSize));
    }

    @ParameterizedTest
    @EnumSource(value = Workload.class, names = {"STREAM", "TAGONLY"})
    void shouldLoseWritesWhenTheBitIsMarkedBeforeTheStore(Workload workload) throws Exception {
        assertTrue(differingPagesAfterCopy(MarksBeforeStore::new, workload, PageSize.SIZE_4K) > 0,
                "marking before the store should let the copier miss a write");
    }
}
