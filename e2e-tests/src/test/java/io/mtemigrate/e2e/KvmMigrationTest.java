package io.mtemigrate.e2e;

import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.vmkvm.KvmBackend;
import io.mtemigrate.vmkvm.KvmGuestSpec;
import io.mtemigrate.vmkvm.KvmMachine;
import io.mtemigrate.vmkvm.KvmVmFactory;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real KVM guest, dirtying memory under the real kernel's dirty log, migrated live by the same engine that moves
 * the emulator's MTE guests: it must pause strictly mid-run, carry no tags, and end on the target exactly where the
 * same guest ends without a migration.
 */
class KvmMigrationTest {
    /** About 3 s at the 100,000 steps a second this host's emulating KVM runs: still writing at the switch-over. */
    static final KvmGuestSpec GUEST = KvmGuestSpec.of(64L << 20, 2, 7, 300_000);

    @BeforeAll
    static void requireKvm() {
        KvmBackend.Availability kvm = KvmBackend.available();
        assumeTrue(kvm.usable(), "skipped: " + kvm.reason());
    }

    static long reference(KvmGuestSpec spec) throws InterruptedException {
        try (KvmMachine machine = KvmMachine.boot(spec)) {
            return Guests.runToEnd(machine);
        }
    }

    @Test
    void shouldMigrateALiveKvmGuestToWhereTheUnmigratedOneEnds() throws Exception {
        long reference = reference(GUEST);
        AtomicLong roundsSeen = new AtomicLong();
        MigrationReport report;
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withVms(new KvmVmFactory()));
             KvmMachine source = KvmMachine.boot(GUEST)) {
            source.start();
            // A low downtime limit keeps the migration in pre-copy rounds for a while: real dirty-log rounds.
            report = target.migrate(source, MigrationConfig.defaults().withDowntimeLimit(Duration.ofMillis(5))
                    .withMaxRounds(6), progress -> {
                if (progress.phase() == Phase.ROUNDS) {
                    roundsSeen.set(Math.max(roundsSeen.get(), progress.round()));
                }
            });
            assertEquals("completed", report.getStatus(), report.getError());
            for (long steps : source.vcpuSteps()) {
                assertTrue(steps > 0 && steps < GUEST.steps(), "the pause came at step " + steps + " of "
                        + GUEST.steps() + ": not mid-run");
            }
            ArrivedVm arrived = target.awaitArrival();
            try {
                assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(arrived.machine())),
                        "the migrated KVM guest ended elsewhere than the unmigrated one");
            } finally {
                arrived.machine().close();
            }
        }
        assertEquals(report.getSourceDigest(), report.getTargetDigest());
        assertEquals(0, report.getTagBytesOnWire(), "an x86 guest has no tags to send");
        assertTrue(report.getRounds() >= 2, "the guest was migrated without a dirty-log round: " + report.getRounds());
    }

    @Test
    void shouldRefuseAKvmGuestOnAnEmulatorTargetBeforeAnyPageMoves() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withVms(new EmulatorVmFactory()));
             KvmMachine source = KvmMachine.boot(GUEST.withSteps(50_000))) {
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("the source's VM is a kvm (x86_64) guest; this target builds emu"
                    + " (aarch64) guests"), report.getError());
            assertEquals(0, report.getPagesSent());
            assertFalse(source.vcpusPaused(), "the source guest runs on");
            assertTrue(source.awaitHalted(Duration.ofSeconds(120)));
            assertEquals(RamDigest.hex(reference(GUEST.withSteps(50_000))), RamDigest.hex(VmDigests.ram(source)));
        }
    }
}
