package io.mtemigrate.e2e;

import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Postcopy;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Post-copy over loopback, MTE on: the guest resumes on the target right after the first pass, with the pages it
 * dirtied since still on the source, and fetches those it touches on demand while the rest are pushed. The
 * target's digest once every page is in must equal the source's frozen memory's, and the guest must end exactly
 * where an unmigrated run ends, without a tag-check fault: no vCPU ever saw a page without its tags.
 */
class PostcopyMigrationTest {
    private static final long RAM = 16L << 20;
    private LoopbackTarget target;

    @BeforeEach
    void startTarget() throws InterruptedException {
        target = new LoopbackTarget();
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    static Stream<Arguments> workloadsAndPageSizes() {
        return Stream.of(Workload.RANDOM, Workload.TAGONLY)
                .flatMap(w -> Stream.of(PageSize.values()).map(p -> Arguments.of(w, p)));
    }

    /** A guest that dirties far faster than any downtime limit allows: only post-copy moves it unthrottled. */
    static MachineSpec busyGuest(Workload workload, PageSize pageSize) {
        return Guests.live(workload, pageSize, RAM, 2, 64L << 20, 1.2);
    }

    static MigrationConfig postcopy(Postcopy plan) {
        return MigrationConfig.defaults().withAutoConverge(false).withPostcopy(plan);
    }

    /** Migrates, checks every digest and the report; returns the report. */
    private MigrationReport migrateAndVerify(MachineSpec spec, MigrationConfig config) throws Exception {
        long reference = Guests.referenceDigest(spec);
        MigrationReport report;
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            source.start();
            report = target.migrate(source, config, ProgressListener.NONE);
            assertEquals("completed", report.getStatus(), report.getError());
            for (VcpuState state : source.vcpuStates()) {
                assertTrue(state.steps() > 0 && state.steps() < spec.steps(), "the switch must come mid-run");
            }
        }
        assertTrue(report.hasPostcopy(), "the report must say the migration switched to post-copy");
        assertEquals(report.getSourceDigest(), report.getTargetDigest());
        assertEquals(0, report.getMaxThrottle(), "post-copy never throttles the guest");
        ArrivedVm arrived = target.awaitArrival();
        try {
            long finalDigest = Guests.runToEnd(arrived.machine());
            assertEquals(RamDigest.hex(reference), RamDigest.hex(finalDigest),
                    "the guest ended elsewhere than the unmigrated one");
            assertEquals(0, arrived.machine().progress().tagCheckFaults(), "the guest saw tag-check faults");
        } finally {
            arrived.machine().close();
        }
        return report;
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("workloadsAndPageSizes")
    void shouldResumeOnTheTargetAfterTheFirstPassAndFetchTheRest(Workload workload, PageSize pageSize) throws Exception {
        MigrationReport report = migrateAndVerify(busyGuest(workload, pageSize), postcopy(Postcopy.of(Postcopy.When.FIRST_PASS)));
        assertTrue(report.getPostcopy().getPagesAfterSwitch() > 0, "the guest dirtied pages during the first pass");
        assertTrue(report.getPostcopy().getFaults() > 0, "the guest on the target waited for at least one page");
        assertEquals(0, report.getRounds(), "no pre-copy round before a switch after the first pass");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = PageSize.class)
    void shouldSwitchBeforeAnyPageIsSentAndSendEachPageOnce(PageSize pageSize) throws Exception {
        MachineSpec spec = busyGuest(Workload.STREAM, pageSize).withFill(io.mtemigrate.vmsim.machine.Fill.ZERO);
        MigrationReport report = migrateAndVerify(spec, postcopy(Postcopy.of(Postcopy.When.START)));
        long pages = RAM / pageSize.bytes();
        assertTrue(report.getPagesSent() <= pages, report.getPagesSent() + " pages sent for a guest of " + pages);
        assertTrue(report.getPostcopy().getFaults() > 0, "the guest waited for pages it wrote before they came");
    }

    @Test
    void shouldSwitchAfterTheGivenRounds() throws Exception {
        MigrationReport report = migrateAndVerify(busyGuest(Workload.RANDOM, PageSize.SIZE_4K),
                postcopy(Postcopy.afterRounds(2)).withDowntimeLimit(Duration.ofMillis(1)));
        assertEquals(2, report.getRounds());
    }

    @Test
    void shouldSwitchWhenPreCopyGivesUp() throws Exception {
        // Three rounds come first: the guest must still run when they have given up.
        MigrationReport report = migrateAndVerify(Guests.live(Workload.RANDOM, PageSize.SIZE_4K, RAM, 2, 64L << 20, 4.0),
                postcopy(Postcopy.of(Postcopy.When.WHEN_STUCK)).withMaxRounds(3).withDowntimeLimit(Duration.ofMillis(1)));
        assertEquals(3, report.getRounds());
    }

    @ParameterizedTest
    @EnumSource(value = Workload.class, names = {"IDLE"})
    void shouldMoveAnIdleGuestToo(Workload workload) throws Exception {
        MigrationReport report = migrateAndVerify(Guests.live(workload, PageSize.SIZE_4K, RAM, 2, 0, 2.0),
                postcopy(Postcopy.of(Postcopy.When.FIRST_PASS)));
        assertEquals(0, report.getPostcopy().getFaults());
    }
}
