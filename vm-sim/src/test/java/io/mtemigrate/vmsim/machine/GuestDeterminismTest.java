package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The property every later test leans on: a guest's final RAM+tags digest depends only on its program, seed and
 * steps, not on thread scheduling, pauses, or a move into another VM half-way.
 */
class GuestDeterminismTest {
    private static final long STEPS = 6_000;
    /** Wall time a paced guest takes for its budget in the mid-run pause test. */
    private static final long MID_RUN_MILLIS = 300;

    static Stream<Arguments> workloadsAndPageSizes() {
        return Stream.of(Workload.values()).flatMap(w -> Stream.of(PageSize.values()).map(p -> Arguments.of(w, p)));
    }

    private static MachineSpec spec(Workload workload, PageSize pageSize) {
        long ram = 2L * 64 * pageSize.bytes();
        return new MachineSpec(ram, pageSize, 2, true, workload, Fill.RANDOM, 7, STEPS, 0);
    }

    /** Runs a machine to its step budget and returns {ram digest, vcpu digest, faults}. */
    private static long[] runToEnd(SimulatedMachine machine) throws InterruptedException {
        machine.start();
        assertTrue(machine.awaitHalted(Duration.ofSeconds(60)), "guest did not reach its step budget");
        assertNull(machine.vm().vcpuFailure());
        return new long[] {machine.ramDigest(), machine.vcpuDigest(), machine.tagCheckFaults()};
    }

    private static long[] reference(MachineSpec spec) throws InterruptedException {
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            return runToEnd(machine);
        }
    }

    @ParameterizedTest
    @MethodSource("workloadsAndPageSizes")
    void shouldEndInTheSameDigestEveryRunWithNoTagCheckFaults(Workload workload, PageSize pageSize) throws Exception {
        long[] first = reference(spec(workload, pageSize));
        long[] second = reference(spec(workload, pageSize));
        assertEquals(first[0], second[0]);
        assertEquals(first[1], second[1]);
        assertEquals(0, first[2], "a correct program on a correct VM takes no tag-check fault");
    }

    @ParameterizedTest
    @EnumSource(Workload.class)
    void shouldChangeMemoryUnlessIdle(Workload workload) throws Exception {
        MachineSpec spec = spec(workload, PageSize.SIZE_4K);
        long before;
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            before = machine.ramDigest();
        }
        long after = reference(spec)[0];
        if (workload == Workload.IDLE) {
            assertEquals(before, after);
        } else {
            assertNotEquals(before, after);
        }
    }

    @ParameterizedTest
    @EnumSource(Workload.class)
    void shouldReachTheSameDigestThroughAHundredRandomPauses(Workload workload) throws Exception {
        MachineSpec spec = spec(workload, PageSize.SIZE_4K).withSteps(40_000);
        long[] expected = reference(spec);
        Random random = new Random(workload.ordinal());
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            machine.start();
            for (int i = 0; i < 100; i++) {
                spinMicros(random.nextInt(200));
                machine.pause();
                machine.resume();
            }
            assertTrue(machine.awaitHalted(Duration.ofSeconds(60)));
            assertEquals(expected[0], machine.ramDigest());
            assertEquals(expected[1], machine.vcpuDigest());
        }
    }

    @ParameterizedTest
    @MethodSource("workloadsAndPageSizes")
    void shouldContinueInAFreshVmExactlyWhereItPaused(Workload workload, PageSize pageSize) throws Exception {
        MachineSpec spec = midRunSpec(workload, pageSize);
        long[] expected = reference(spec);
        EmulatedKvm kvm = EmulatedKvm.withMte();
        try (SimulatedMachine source = SimulatedMachine.boot(kvm, spec);
             SimulatedMachine target = SimulatedMachine.create(kvm, spec.layout())) {
            source.start();
            pauseOnceEveryVcpuHasStepped(source);
            for (VcpuState state : source.vcpuStates()) {
                assertTrue(state.steps() > 0 && state.steps() < spec.steps(), "the pause must land mid-run, but a vCPU"
                        + " had run " + state.steps() + " of its " + spec.steps() + " steps");
            }
            MachineCopies.copyState(source, target);
            long[] result = runToEnd(target);
            assertEquals(expected[0], result[0]);
            assertEquals(expected[1], result[1]);
            assertEquals(0, result[2]);
        }
    }

    /**
     * The spec paced so that its budget lasts {@link #MID_RUN_MILLIS} of wall time on any machine fast enough to keep
     * the pace (a slower one only stretches it): the pause, taken as soon as every vCPU has stepped, then lands
     * mid-run however long the vCPU threads take to start. Idle guests tick at a fixed rate and need no pace.
     */
    private static MachineSpec midRunSpec(Workload workload, PageSize pageSize) {
        MachineSpec spec = spec(workload, pageSize);
        long bytesPerStep = workload.program().bytesPerStep();
        return spec.withDirtyRate(spec.vcpus() * spec.steps() * bytesPerStep * 1000 / MID_RUN_MILLIS);
    }

    /**
     * Pauses the machine at the first moment every vCPU has taken a step: pausing and resuming do not change where
     * the guest ends (see the hundred pauses above), so the probes cost the proof nothing.
     */
    private static void pauseOnceEveryVcpuHasStepped(SimulatedMachine machine) {
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
            machine.pause();
            if (machine.vcpuStates().stream().allMatch(state -> state.steps() > 0)) {
                return true;
            }
            machine.resume();
            return false;
        });
    }

    @Test
    void shouldFaultWhenATagIsCorruptedBehindTheGuestsBack() throws Exception {
        MachineSpec spec = new MachineSpec(8L * 4096, PageSize.SIZE_4K, 1, true, Workload.RANDOM, Fill.RANDOM, 3, 20_000, 0);
        try (SimulatedMachine machine = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            ByteBuffer tag = ByteBuffer.allocate(256);
            machine.vm().copyMteTags(MachineSpec.RAM_BASE, 4096, tag, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            tag.put(10, (byte) (tag.get(10) ^ 1));
            machine.vm().copyMteTags(MachineSpec.RAM_BASE, 4096, tag, KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0);
            long[] result = runToEnd(machine);
            assertTrue(result[2] > 0, "the guest touched the corrupted granule without a tag-check fault");
        }
    }

    @ParameterizedTest
    @EnumSource(Workload.class)
    void shouldRunDeterministicallyWithoutMte(Workload workload) throws Exception {
        MachineSpec spec = spec(workload, PageSize.SIZE_4K).withMte(false);
        assertEquals(reference(spec)[0], reference(spec)[0]);
    }

    @Test
    void shouldGiveOtherDigestsForOtherSeeds() throws Exception {
        MachineSpec spec = spec(Workload.ALLOC, PageSize.SIZE_4K);
        assertNotEquals(reference(spec)[0], reference(spec.withSeed(8))[0]);
    }

    /** Lets the guest run a little while the test thread keeps its core; this is a moment picker, not a wait. */
    private static void spinMicros(long micros) {
        long end = System.nanoTime() + micros * 1_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
