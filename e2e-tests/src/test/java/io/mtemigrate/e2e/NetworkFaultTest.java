package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults in the network between source and target, through a proxy that cuts or corrupts the stream: whatever
 * happens, exactly one copy of the guest runs and none is corrupted. The long versions run with
 * {@code -Dfaults.cuts=500 -Dfaults.flips=1000}:
 * {@code ./mvnj -B -pl e2e-tests verify -Dtest=NetworkFaultTest -Dfaults.cuts=500 -Dfaults.flips=1000}.
 */
class NetworkFaultTest {
    private static final int CUTS = Integer.getInteger("faults.cuts", 50);
    private static final int FLIPS = Integer.getInteger("faults.flips", 100);

    /** A small live guest, so a migration takes tens of milliseconds and many fit in a test. */
    private static final MachineSpec LIVE = new MachineSpec(4L << 20, PageSize.SIZE_4K, 1, true, Workload.HOTSET,
            Fill.RANDOM, 9, 20_000, 4L << 20);
    private static final MachineSpec IDLE = new MachineSpec(1L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE,
            Fill.RANDOM, 9, 1_000, 0);

    @Test
    void shouldKeepExactlyOneGuestWhenTheConnectionIsCutAtRandomMoments() throws Exception {
        long reference = Guests.referenceDigest(LIVE);
        SplittableRandom random = new SplittableRandom(2026);
        int failed = 0;
        int completed = 0;
        try (LoopbackTarget target = new LoopbackTarget(); FaultProxy proxy = new FaultProxy(target.address())) {
            long streamBytes = migrateThrough(target, proxy, LIVE, () -> proxy.passThrough()).getBytesOnWire();
            target.awaitArrival().machine().close();
            for (int i = 0; i < CUTS; i++) {
                long cut = random.nextLong(streamBytes + streamBytes / 10);
                try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), LIVE)) {
                    source.start();
                    proxy.cutAfter(cut);
                    MigrationReport report = new io.mtemigrate.source.SourceMigration(source,
                            proxy.address(), MigrationConfig.defaults().withTimeout(Duration.ofSeconds(30)),
                            ProgressListener.NONE).run();
                    if (report.getStatus().equals("completed")) {
                        completed++;
                        assertEquals(report.getSourceDigest(), report.getTargetDigest());
                        target.awaitArrival().machine().close();
                        continue;
                    }
                    failed++;
                    assertTrue(report.getError().startsWith("failed during "), "the report names the phase: " + report.getError());
                    assertFalse(source.vm().vcpusPaused(), "cut at byte " + cut + ": the source guest must run on");
                    await().atMost(Duration.ofSeconds(35)).until(() -> target.server.activeMigrations() == 0);
                    assertTrue(target.arrived.isEmpty(), "cut at byte " + cut + ": a guest arrived from a failed migration");
                    if (i % 10 == 0) {
                        assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(source)),
                                "cut at byte " + cut + ": the source guest must still end in the reference digest");
                    }
                }
                // A retry to the same target, without faults, succeeds.
                MigrationReport retry = migrateThrough(target, proxy, IDLE, proxy::passThrough);
                assertEquals("completed", retry.getStatus(), retry.getError());
                assertEquals(retry.getSourceDigest(), retry.getTargetDigest());
                target.awaitArrival().machine().close();
            }
        }
        System.out.printf("connection cuts: %d injected, %d failed cleanly, %d completed (cut after the end)%n",
                CUTS, failed, completed);
        assertTrue(failed > CUTS / 2, "most cuts should land inside the stream");
    }

    @Test
    void shouldNeverApplyAFlippedBit() throws Exception {
        SplittableRandom random = new SplittableRandom(1955);
        int detected = 0;
        int missed = 0;
        try (LoopbackTarget target = new LoopbackTarget(); FaultProxy proxy = new FaultProxy(target.address())) {
            long streamBytes = migrateThrough(target, proxy, IDLE, proxy::passThrough).getBytesOnWire();
            target.awaitArrival().machine().close();
            for (int i = 0; i < FLIPS; i++) {
                long offset = random.nextLong(streamBytes);
                int bit = random.nextInt(8);
                MigrationReport report = migrateThrough(target, proxy, IDLE, () -> proxy.flipAt(offset, bit));
                if (!proxy.flipped()) {
                    continue;
                }
                if (report.getStatus().equals("completed")) {
                    // Only acceptable if the flipped byte never reached a decision (it cannot: every byte is in a
                    // CRC'd frame); count it as a silent corruption unless the digests prove the copy intact.
                    missed++;
                    target.awaitArrival().machine().close();
                } else {
                    detected++;
                    await().atMost(Duration.ofSeconds(35)).until(() -> target.server.activeMigrations() == 0);
                    assertTrue(target.arrived.isEmpty(), "flip at byte " + offset + " bit " + bit + ": a guest arrived");
                }
            }
        }
        System.out.printf("bit flips: %d injected, %d detected, %d not detected%n", FLIPS, detected, missed);
        assertEquals(0, missed, "flips that went unnoticed");
        assertEquals(FLIPS, detected);
    }

    @Test
    void shouldNeverResumeAGuestFromAFlippedBitWhileItRuns() throws Exception {
        // Page data is outside the frames' CRCs: a flip in it fails the migration before the target resumes
        // (the digests differ), or falls in a page the running guest dirties again, which is sent again.
        long reference = Guests.referenceDigest(LIVE);
        SplittableRandom random = new SplittableRandom(1956);
        int failedBeforeResume = 0;
        int healedByResend = 0;
        int notFlipped = 0;
        try (LoopbackTarget target = new LoopbackTarget(); FaultProxy proxy = new FaultProxy(target.address())) {
            long streamBytes = migrateThrough(target, proxy, LIVE, proxy::passThrough).getBytesOnWire();
            target.awaitArrival().machine().close();
            for (int i = 0; i < FLIPS; i++) {
                long offset = random.nextLong(streamBytes);
                int bit = random.nextInt(8);
                MigrationReport report = migrateThrough(target, proxy, LIVE, () -> proxy.flipAt(offset, bit));
                if (!proxy.flipped()) {
                    // A running guest's stream is shorter some times: this one ended before the offset.
                    assertEquals("completed", report.getStatus(), report.getError());
                    target.awaitArrival().machine().close();
                    notFlipped++;
                    continue;
                }
                if (report.getStatus().equals("completed")) {
                    healedByResend++;
                    ArrivedVm arrived = target.awaitArrival();
                    try {
                        assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(arrived.machine())),
                                "flip at byte " + offset + " bit " + bit + " reached the resumed guest");
                    } finally {
                        arrived.machine().close();
                    }
                } else {
                    failedBeforeResume++;
                    await().atMost(Duration.ofSeconds(35)).until(() -> target.server.activeMigrations() == 0);
                    assertTrue(target.arrived.isEmpty(), "flip at byte " + offset + " bit " + bit
                            + ": a guest arrived from a migration the source reports as " + report.getError());
                }
            }
        }
        System.out.printf("bit flips into a running guest's stream: %d injected, %d failed before the target resumed,"
                + " %d fell in pages sent again and the guest ended on its reference (%d streams ended before"
                + " their flip)%n", FLIPS - notFlipped, failedBeforeResume, healedByResend, notFlipped);
        assertEquals(FLIPS - notFlipped, failedBeforeResume + healedByResend);
        assertTrue(failedBeforeResume > 0 && healedByResend > 0, "both outcomes should occur in a running guest's stream");
    }

    private static MigrationReport migrateThrough(LoopbackTarget target, FaultProxy proxy, MachineSpec spec,
                                                  Runnable arm) throws Exception {
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            source.start();
            arm.run();
            return new io.mtemigrate.source.SourceMigration(source, proxy.address(),
                    MigrationConfig.defaults().withTimeout(Duration.ofSeconds(30)), ProgressListener.NONE).run();
        }
    }
}
