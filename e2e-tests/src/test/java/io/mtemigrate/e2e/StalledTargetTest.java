package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.target.TargetConfig;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A target that stops reading mid-migration: the source holds no more than its in-flight budget, gives up with a
 * clear message after its stall timeout, and its guest runs on; the target discards its partial VM at its idle
 * timeout and takes the next migration.
 */
class StalledTargetTest {
    private static final long IN_FLIGHT = 8L << 20;
    private static final MachineSpec GUEST = new MachineSpec(64L << 20, PageSize.SIZE_4K, 2, true, Workload.HOTSET,
            Fill.RANDOM, 11, 60_000, 8L << 20);

    @Test
    void shouldBoundMemoryAndGiveUpCleanlyWhenTheTargetStopsReading() throws Exception {
        long reference = Guests.referenceDigest(GUEST);
        TargetConfig targetConfig = TargetConfig.loopback().withIdleTimeout(Duration.ofSeconds(3));
        MigrationConfig config = new MigrationConfig(Duration.ofMillis(50), 0, 2, false, true, 30, Duration.ZERO,
                IN_FLIGHT, Duration.ofSeconds(2), System::nanoTime);
        try (LoopbackTarget target = new LoopbackTarget(targetConfig); FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), GUEST)) {
            source.start();
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            AtomicLong directPeak = new AtomicLong(directBefore);
            proxy.stallAfter(4L << 20);
            CompletableFuture<MigrationReport> run = CompletableFuture.supplyAsync(() -> new SourceMigration(source,
                    proxy.address(), config, ProgressListener.NONE).run());
            while (!run.isDone()) {
                directPeak.accumulateAndGet(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory(), Math::max);
                await().pollDelay(Duration.ofMillis(20)).atMost(Duration.ofSeconds(1)).until(() -> true);
            }
            MigrationReport report = run.get();
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("the target has taken no data for 2 s"), report.getError());
            long grew = directPeak.get() - directBefore;
            // The pool allocates whole chunks, so allow some beyond the budget; an unbounded sender would hold
            // most of the 64 MiB guest.
            assertTrue(grew <= IN_FLIGHT + (16L << 20), "direct memory grew by " + grew + " bytes");
            System.out.printf("stalled target: direct memory grew by %.1f MiB (in-flight budget %d MiB)%n",
                    grew / 1048576.0, IN_FLIGHT >> 20);
            assertFalse(source.vm().vcpusPaused(), "the source guest runs on");
            await().atMost(Duration.ofSeconds(15)).until(() -> target.server.activeMigrations() == 0);
            assertTrue(target.arrived.isEmpty());
            assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(source)));
            proxy.passThrough();
            try (SimulatedMachine retry = SimulatedMachine.boot(EmulatedKvm.withMte(), GUEST.withDirtyRate(0))) {
                MigrationReport again = new SourceMigration(retry, proxy.address(), MigrationConfig.defaults(),
                        ProgressListener.NONE).run();
                assertEquals("completed", again.getStatus(), again.getError());
                target.awaitArrival().machine().close();
            }
        }
    }
}
