package io.mtemigrate.vmkvm;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Auto-converge's throttle holds the vCPUs for its share of the time, and a pause still comes promptly. */
class ThrottleTest {
    private static final KvmGuestSpec SPEC = KvmGuestSpec.of(4L << 20, 1, 3, 60_000).withExitInterval(256);

    @BeforeEach
    void kvm() {
        KvmTests.assumeKvm();
    }

    @Test
    void shouldSlowTheGuestDownByItsShare() {
        long flatOut = runNanos(0);
        long throttled = runNanos(75);
        // 75 % held is 4 times as long; a loaded host stretches the unthrottled run more, so ask for 2.
        assertTrue(throttled > 2 * flatOut, "throttled " + throttled / 1_000_000 + " ms, flat out "
                + flatOut / 1_000_000 + " ms");
    }

    @Test
    void shouldPauseAThrottledGuestWithoutWaitingOutItsHold() {
        // About 10 ms of running to the first exit, then a hold of 99 times that: about a second.
        try (KvmMachine vm = KvmMachine.boot(SPEC.withSteps(0).withExitInterval(1024))) {
            vm.setThrottle(99);
            vm.start();
            KvmTests.soon().until(() -> vm.exits(0) > 0);
            long start = System.nanoTime();
            vm.pauseVcpus();
            long pauseMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(pauseMillis < 200, "the pause took " + pauseMillis + " ms");
            vm.resumeVcpus();
        }
    }

    @Test
    void shouldTakeZeroTo99Percent() {
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.setThrottle(99);
            assertEquals(99, vm.throttle());
            assertThrows(IllegalArgumentException.class, () -> vm.setThrottle(100));
            assertThrows(IllegalArgumentException.class, () -> vm.setThrottle(-1));
            assertEquals(99, vm.throttle());
        }
    }

    private static long runNanos(int percent) {
        try (KvmMachine vm = KvmMachine.boot(SPEC)) {
            vm.setThrottle(percent);
            long start = System.nanoTime();
            vm.start();
            assertTrue(vm.awaitHalted(Duration.ofMinutes(2)));
            return System.nanoTime() - start;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
