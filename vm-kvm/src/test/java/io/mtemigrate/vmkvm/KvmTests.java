package io.mtemigrate.vmkvm;

import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.MigratableVm;
import io.mtemigrate.vmsim.vmm.RamSlot;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the KVM tests share: skipping without a usable /dev/kvm, small guests, reference digests. */
final class KvmTests {
    /**
     * Small enough for a 2-core host whose KVM emulates the guest's instructions (about 100,000 steps a second per
     * vCPU there), large enough that a pause after the first exit lands well before the budget.
     */
    static final KvmGuestSpec SPEC = KvmGuestSpec.of(4L << 20, 2, 7, 200_000).withExitInterval(1024);
    static final Duration HALT_TIMEOUT = Duration.ofMinutes(2);
    private static final Map<KvmGuestSpec, Long> REFERENCES = new ConcurrentHashMap<>();

    private KvmTests() {
    }

    /** Awaitility polling every millisecond: a pause should land soon after the exit it waits for. */
    static ConditionFactory soon() {
        return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .atMost(Duration.ofSeconds(60));
    }

    static void assumeKvm() {
        KvmBackend.Availability kvm = KvmBackend.available();
        Assumptions.assumeTrue(kvm.usable(), kvm.reason());
    }

    /** Runs {@code spec}'s guest to its budget without interference and returns its RAM digest. */
    static long reference(KvmGuestSpec spec) {
        return REFERENCES.computeIfAbsent(spec, s -> {
            try (KvmMachine vm = KvmMachine.boot(s)) {
                vm.start();
                awaitHalted(vm);
                return VmDigests.ram(vm);
            }
        });
    }

    static void awaitHalted(MigratableVm vm) {
        try {
            assertTrue(vm.awaitHalted(HALT_TIMEOUT), "the guest did not halt within " + HALT_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertNull(vm.vcpuFailure(), () -> "a vCPU failed: " + vm.vcpuFailure());
    }

    /** Copies every page of every RAM slot from {@code from} into {@code to}, as a migration's first pass does. */
    static void copyAllRam(MigratableVm from, MigratableVm to) {
        List<RamSlot> source = from.ramSlots();
        List<RamSlot> target = to.ramSlots();
        assertEquals(source.size(), target.size(), "slots");
        for (int i = 0; i < source.size(); i++) {
            MemorySegment.copy(source.get(i).segment(), 0, target.get(i).segment(), 0, source.get(i).size());
        }
    }
}
