package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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
        MigrationConfig config = MigrationConfig.defaults().withMaxInFlight(IN_FLIGHT)
                .withStallTimeout(Duration.ofSeconds(2));
        try (LoopbackTarget target = new LoopbackTarget(targetConfig); FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), GUEST)) {
            source.start();
            AtomicLong peakInFlight = new AtomicLong();
            proxy.stallAfter(4L << 20);
            MigrationReport report = new SourceMigration(source, proxy.address(), config,
                    progress -> peakInFlight.accumulateAndGet(progress.bytesInFlight(), Math::max)).run();
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("the target has taken no data for 2 s"), report.getError());
            // An unbounded sender would have most of the 64 MiB guest queued by now.
            assertTrue(peakInFlight.get() > IN_FLIGHT / 2 && peakInFlight.get() <= IN_FLIGHT,
                    "bytes in flight peaked at " + peakInFlight.get());
            System.out.printf("stalled target: at most %.1f MiB in flight (budget %d MiB)%n",
                    peakInFlight.get() / 1048576.0, IN_FLIGHT >> 20);
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

    @Test
    void shouldGiveUpWhenTheTargetStopsReadingWithTheWholeStreamAlreadyInFlight() throws Exception {
        // 1 MiB of guest fits in the socket buffers: sending never waits, the wait is for the target's answer.
        MachineSpec small = new MachineSpec(1L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE, Fill.RANDOM, 3, 1_000, 0);
        MigrationConfig config = MigrationConfig.defaults().withTimeout(Duration.ofSeconds(60))
                .withStallTimeout(Duration.ofSeconds(2));
        // The target's idle timeout is far away: the source must not rely on the target to end the wait.
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withIdleTimeout(Duration.ofSeconds(60)));
             FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), small)) {
            source.start();
            proxy.stallAfter(512 << 10);
            MigrationReport report = new SourceMigration(source, proxy.address(), config, ProgressListener.NONE).run();
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("the target has not answered for 2 s"), report.getError());
            // Released, the proxy delivers the rest and then the source's close: the target discards its copy.
            proxy.passThrough();
            assertFalse(source.vm().vcpusPaused(), "the source guest runs on");
            await().atMost(Duration.ofSeconds(15)).until(() -> target.server.activeMigrations() == 0);
            assertTrue(target.arrived.isEmpty());
        }
    }

    @Test
    void shouldNotMistakeASlowLinkForAStalledTarget() throws Exception {
        // 4 MiB at 512 KiB/s: about 8 s, all of it in socket buffers within moments, so the source itself sees no
        // progress for far longer than its 2 s stall timeout; only the target's Applied messages (one per 256 KiB
        // frame applied, about every 0.5 s here) show it alive.
        MachineSpec guest = new MachineSpec(4L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE, Fill.RANDOM, 3, 1_000, 0);
        MigrationConfig config = MigrationConfig.defaults().withTimeout(Duration.ofSeconds(60))
                .withStallTimeout(Duration.ofSeconds(2));
        try (LoopbackTarget target = new LoopbackTarget(); FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), guest)) {
            proxy.throttle(512 << 10);
            MigrationReport report = new SourceMigration(source, proxy.address(), config, ProgressListener.NONE).run();
            assertEquals("completed", report.getStatus(), report.getError());
            assertTrue(report.getTotalTimeMs() > 4_000, "the link was slow: " + report.getTotalTimeMs() + " ms");
            assertEquals(report.getSourceDigest(), report.getTargetDigest());
            target.awaitArrival().machine().close();
        }
    }
}
