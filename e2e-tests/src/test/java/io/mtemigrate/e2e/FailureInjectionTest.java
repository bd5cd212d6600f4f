package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failure at any phase before the target's acknowledgement: the source guest keeps running from where it was
 * and still ends in the reference digest, the target holds no VM, and the next migration to it succeeds.
 */
class FailureInjectionTest {
    private static final MachineSpec SPEC = Guests.live(Workload.ALLOC, PageSize.SIZE_4K, 16L << 20, 2, 16L << 20, 1.5);

    /** Runs a migration that fails as {@code inject} arranges, then checks both sides; returns the report. */
    private static MigrationReport assertSourceSurvives(LoopbackTarget target, MigrationConfig config,
                                                        ProgressListener inject, String expectedInError) throws Exception {
        long reference = Guests.referenceDigest(SPEC);
        MigrationReport report;
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SPEC)) {
            source.start();
            report = target.migrate(source, config, inject);
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains(expectedInError), report.getError());
            assertFalse(source.vm().vcpusPaused(), "the source guest must run again");
            assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(source)),
                    "the source guest must finish as if nothing happened");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> target.server.activeMigrations() == 0);
        assertTrue(target.arrived.isEmpty(), "no guest may arrive from a failed migration");
        retrySucceeds(target);
        return report;
    }

    private static void retrySucceeds(LoopbackTarget target) throws Exception {
        MachineSpec quick = Guests.live(Workload.HOTSET, PageSize.SIZE_4K, 8L << 20, 1, 4L << 20, 0.5);
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), quick)) {
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);
            assertEquals("completed", report.getStatus(), report.getError());
        }
        target.awaitArrival().machine().close();
    }

    @ParameterizedTest
    @EnumSource(value = Phase.class, names = {"FIRST_PASS", "ROUNDS", "STOP_AND_COPY", "AWAIT_ACK"})
    void shouldKeepTheSourceGuestWhenTheConnectionIsCutDuring(Phase phase) throws Exception {
        try (LoopbackTarget target = new LoopbackTarget()) {
            AtomicBoolean cut = new AtomicBoolean();
            ProgressListener cutter = progress -> {
                if (progress.phase() == phase && cut.compareAndSet(false, true)) {
                    target.server.dropConnections();
                }
            };
            // Rounds only happen when the first pass does not already fit the downtime limit; a migration that is
            // to be cut later must converge surely, or it may give up in the rounds before it gets there.
            MigrationConfig config = phase.compareTo(Phase.ROUNDS) <= 0
                    ? MigrationConfig.defaults().withDowntimeLimit(Duration.ofMillis(1)).withMaxRounds(5)
                    : MigrationConfig.defaults().withDowntimeLimit(Duration.ofSeconds(10));
            MigrationReport report = assertSourceSurvives(target, config, cutter, "the target closed channel ");
            assertTrue(cut.get(), "the migration never reached " + phase);
            // The source notices the cut at its next read or write of the link: in the phase it was cut in or a
            // later one (a cut at stop-and-copy surfaces while it waits for the acknowledgement), never earlier.
            String noticedIn = Stream.of(Phase.values()).filter(p -> p.compareTo(phase) >= 0)
                    .map(p -> Pattern.quote(p.toString())).collect(Collectors.joining("|"));
            assertTrue(Pattern.compile("^failed during (" + noticedIn + "): the target closed channel \\d+")
                    .matcher(report.getError()).find(), report.getError());
        }
    }

    @Test
    void shouldKeepTheSourceGuestWhenTheTargetRefusesTheLayout() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withMaxRam(8L << 20))) {
            assertSourceSurvives(target, MigrationConfig.defaults(), ProgressListener.NONE, "RAM_LIMIT");
        }
    }

    @Test
    void shouldKeepTheSourceGuestWhenTheTargetRefusesToResume() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget()) {
            AtomicBoolean once = new AtomicBoolean();
            target.beforeResume = layout -> {
                if (once.compareAndSet(false, true)) {
                    throw new IllegalStateException("injected failure before the ack");
                }
            };
            assertSourceSurvives(target, MigrationConfig.defaults(), ProgressListener.NONE, "injected failure before the ack");
        }
    }

    @Test
    void shouldRefuseMteGuestsOnAHostWithoutMteBeforeAnyPageMoves() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withVms(new EmulatorVmFactory(false, HostMemory.defaultDirectory(), 0, PageSize.SIZE_4K)))) {
            try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SPEC)) {
                source.start();
                MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);
                assertEquals("failed", report.getStatus());
                assertTrue(report.getError().contains("MTE_UNAVAILABLE"), report.getError());
                assertEquals(0, report.getPagesSent());
            }
        }
    }

    @Test
    void shouldReportCancelledAndKeepTheGuestWhenCancelled() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget();
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SPEC)) {
            source.start();
            io.mtemigrate.source.SourceMigration[] migration = new io.mtemigrate.source.SourceMigration[1];
            migration[0] = new io.mtemigrate.source.SourceMigration(source, target.address(),
                    MigrationConfig.defaults().withDowntimeLimit(Duration.ofMillis(1)), progress -> {
                if (progress.phase() == Phase.ROUNDS) {
                    migration[0].cancel();
                }
            });
            MigrationReport report = migration[0].run();
            assertEquals("cancelled", report.getStatus(), report.getError());
            assertFalse(source.vm().vcpusPaused());
            await().atMost(Duration.ofSeconds(10)).until(() -> target.server.activeMigrations() == 0);
        }
    }

    @Test
    void shouldGiveUpWithAClearReasonWhenRoundsNeverConverge() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget();
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(),
                     Guests.live(Workload.RANDOM, PageSize.SIZE_4K, 16L << 20, 2, 0, 1).withSteps(0))) {
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults()
                    .withDowntimeLimit(Duration.ofNanos(1)).withAutoConverge(false).withMaxRounds(3), ProgressListener.NONE);
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("did not converge in 3 rounds"), report.getError());
            assertFalse(source.vm().vcpusPaused());
        }
    }
}
