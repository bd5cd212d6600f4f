package io.mtemigrate.vmkvm;

import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A migration by hand inside one process, through the interfaces only: RAM copied slot by slot from VM A into a VM
 * B that the factory built from A's layout, vCPU state saved on A and restored on B. B must end exactly where A
 * alone would have.
 */
class MigrationTest {
    private static final KvmGuestSpec SPEC = KvmGuestSpec.of(16L << 20, 2, 5, 300_000).withExitInterval(1024);

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldContinueOnTheTargetWhereThePausedSourceStopped() {
        long reference = KvmTests.reference(SPEC);
        KvmVmFactory factory = new KvmVmFactory(SPEC.memoryDirectory());
        KvmMachine source = KvmMachine.boot(SPEC);
        try (MigratableVm target = factory.create(source.layout())) {
            source.start();
            KvmTests.soon().until(() -> source.exits(0) > 0 && source.exits(1) > 0);
            source.pauseVcpus();
            assertMidRun(source);

            KvmTests.copyAllRam(source, target);
            List<VcpuSnapshot> state = source.saveVcpus();
            target.restoreVcpus(state);
            assertEquals(state, target.saveVcpus(), "KVM gives back exactly the state it was given");
            source.close();

            target.start();
            KvmTests.awaitHalted(target);
            assertEquals(SPEC.steps() * SPEC.vcpus(), target.progress().steps());
            assertEquals(reference, VmDigests.ram(target));
        } finally {
            source.close();
        }
    }

    @Test
    void shouldContinueOnTheTargetAfterLiveRoundsOfDirtyPages() {
        long reference = KvmTests.reference(SPEC);
        KvmVmFactory factory = new KvmVmFactory(SPEC.memoryDirectory());
        KvmMachine source = KvmMachine.boot(SPEC);
        try (MigratableVm target = factory.create(source.layout())) {
            source.logDirtyPages(true);
            source.start();
            KvmTests.copyAllRam(source, target);
            int copied = 0;
            for (int round = 0; round < 3; round++) {
                long[] exits = {source.exits(0), source.exits(1)};
                KvmTests.soon().until(() -> source.exits(0) > exits[0] && source.exits(1) > exits[1]);
                copied += copyDirtyPages(source, target);
            }
            source.pauseVcpus();
            assertMidRun(source);
            copied += copyDirtyPages(source, target);
            assertTrue(copied > 0, "the guest dirtied pages during the rounds");
            source.logDirtyPages(false);
            target.restoreVcpus(source.saveVcpus());
            source.close();

            target.start();
            KvmTests.awaitHalted(target);
            assertEquals(reference, VmDigests.ram(target));
        } finally {
            source.close();
        }
    }

    private static void assertMidRun(KvmMachine vm) {
        for (long steps : vm.vcpuSteps()) {
            assertTrue(steps > 0 && steps < SPEC.steps(), "paused at step " + steps + " of " + SPEC.steps());
        }
    }

    /** One round: fetch and clear each slot's dirty log, then copy the pages it names. */
    private static int copyDirtyPages(MigratableVm from, MigratableVm to) {
        int pages = 0;
        for (int i = 0; i < from.ramSlots().size(); i++) {
            RamSlot source = from.ramSlots().get(i);
            MemorySegment target = to.ramSlots().get(i).segment();
            long[] bitmap = new long[Math.toIntExact((source.size() / 4096 + 63) / 64)];
            from.fetchDirtyPages(i, bitmap);
            for (int word = 0; word < bitmap.length; word++) {
                for (long bits = bitmap[word]; bits != 0; bits &= bits - 1) {
                    long offset = ((long) word * 64 + Long.numberOfTrailingZeros(bits)) * 4096;
                    MemorySegment.copy(source.segment(), offset, target, offset, 4096);
                    pages++;
                }
            }
        }
        return pages;
    }
}
