package io.mtemigrate.host;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mtemigrate.proto.ListVmsRequest;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.PostcopyReport;
import io.mtemigrate.proto.SetMigrationLimitsRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmRequest;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A migration armed for post-copy on request, switched through the API; and the switch refused to one not armed. */
class HostPostcopyTest {
    private static final long MB = 1_000_000;
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(2, 4);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    private static MigrationRequest request(MigrationInfo migration) {
        return MigrationRequest.newBuilder().setMigrationId(migration.getMigrationId()).build();
    }

    private static MigrationInfo describe(MigrationInfo migration) {
        return hosts.api(0).describeMigration(request(migration));
    }

    private static MigrationInfo awaitEnd(MigrationInfo migration) {
        await().atMost(Duration.ofSeconds(30)).until(() ->
                describe(migration).getState() != MigrationState.MIGRATION_STATE_RUNNING);
        return describe(migration);
    }

    /**
     * 8 MiB dirtied at 32 MiB/s against a 16 MB/s cap and a 1 ms limit, without auto-converge: pre-copy alone would
     * go round until its rounds ran out or the guest halted, so only the request can end it sooner.
     */
    private static MigrationInfo startStuck(String vm, double seconds, String postcopy) {
        hosts.create(0, vm, Hosts.guest(8 << 20, Workload.RANDOM, 32 << 20, seconds, 4096));
        return hosts.start(0, vm, 1, MigrationOptions.newBuilder().setMaxBandwidth(16 * MB).setDowntimeMs(1)
                .setNoAutoConverge(true).setMaxRounds(100_000).setPostcopy(postcopy).build());
    }

    private static void awaitRounds(MigrationInfo migration) {
        await().atMost(Duration.ofSeconds(20)).until(() ->
                describe(migration).getProgress().getPhase().equals("pre-copy rounds"));
    }

    @Test
    void shouldSwitchToPostcopyWhenAskedAndEndAtTheReferenceDigest() {
        String vm = "asked";
        MigrationInfo started = startStuck(vm, 4, "on-request");
        assertEquals("on-request", started.getPostcopy());
        awaitRounds(started);
        MigrationInfo asked = hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                .setMigrationId(started.getMigrationId()).setStartPostcopy(true).build());
        assertTrue(asked.getPostcopyRequested());

        MigrationInfo finished = awaitEnd(started);
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, finished.getState(), finished.getError());
        assertTrue(finished.getReport().hasPostcopy(), "the report must say the migration switched to post-copy");
        PostcopyReport postcopy = finished.getReport().getPostcopy();
        assertTrue(finished.getReport().getRounds() >= 1, "the switch came in the rounds, where it was asked for");
        assertTrue(postcopy.getPagesAfterSwitch() > 0, "a guest dirtying 32 MiB/s owes pages at any switch");
        assertTrue(postcopy.getSwitchAtMs() > 0 && postcopy.getSwitchAtMs() <= finished.getReport().getTotalTimeMs());
        assertEquals(finished.getReport().getSourceDigest(), finished.getReport().getTargetDigest());
        StatusRuntimeException late = assertThrows(StatusRuntimeException.class, () ->
                hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                        .setMigrationId(started.getMigrationId()).setStartPostcopy(true).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, late.getStatus().getCode());
        assertTrue(late.getStatus().getDescription().contains("has already ended (completed): nothing to switch to"
                + " post-copy"), late.getStatus().getDescription());

        hosts.awaitVm(1, vm);
        VmInfo end = hosts.finish(1, vm);
        assertEquals(1, end.getHops());
        assertEquals(0, end.getTagCheckFaults());
        assertTrue(end.getAtReference(), end.getDigest() + " vs reference " + end.getReferenceDigest());
        assertEquals(0, hosts.api(0).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount(),
                "the source keeps no copy of a guest that completed");
        hosts.api(1).destroyVm(VmRequest.newBuilder().setVmId(vm).build());
    }

    @Test
    void shouldRefuseToSwitchAMigrationNotArmedForPostcopyAndChangeNothing() {
        String vm = "unarmed";
        MigrationInfo started = startStuck(vm, 60, "");
        assertEquals("", started.getPostcopy());
        awaitRounds(started);
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                        .setMigrationId(started.getMigrationId()).setStartPostcopy(true).setDowntimeMs(60_000).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
        String message = refused.getStatus().getDescription();
        assertTrue(message.contains("migration " + started.getMigrationId() + " was not started with post-copy armed"),
                message);
        assertTrue(message.contains("--postcopy=on-request"), "the message says how to arm one: " + message);

        MigrationInfo after = describe(started);
        assertEquals(MigrationState.MIGRATION_STATE_RUNNING, after.getState());
        assertEquals(1, after.getDowntimeLimitMs(), "a refused call changes no limit either");
        assertFalse(after.getPostcopyRequested());
        hosts.api(0).cancelMigration(request(started));
        MigrationInfo cancelled = awaitEnd(started);
        assertEquals(MigrationState.MIGRATION_STATE_CANCELLED, cancelled.getState(), cancelled.getError());
        assertFalse(cancelled.getReport().hasPostcopy());
        hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId(vm).build());
    }

    @Test
    void shouldRefuseAPostcopyMomentItCannotReadOrReach() {
        hosts.create(0, "options", Hosts.guest(8 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        for (String[] bad : new String[][]{{"sometimes", "'sometimes' is not a moment to switch to post-copy"},
                {"rounds:0", "at least 1 round"}, {"rounds:x", "whole number"},
                {"rounds:31", "rounds:31 would never switch: pre-copy gives up after 30 rounds (max_rounds)"}}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> hosts.start(0, "options", 1,
                    MigrationOptions.newBuilder().setPostcopy(bad[0]).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad[0]);
            assertTrue(e.getStatus().getDescription().contains(bad[1]), e.getStatus().getDescription());
            assertTrue(e.getStatus().getDescription().startsWith("postcopy "), e.getStatus().getDescription());
        }
        StatusRuntimeException alone = assertThrows(StatusRuntimeException.class, () -> hosts.start(0, "options", 1,
                MigrationOptions.newBuilder().setPostcopyRecoveryTimeoutMs(1000).build()));
        assertTrue(alone.getStatus().getDescription().contains("applies only with postcopy"),
                alone.getStatus().getDescription());
        assertTrue(hosts.describe(0, "options", false).getMigrationId().isEmpty(), "no migration was started");
        hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId("options").build());
    }
}
