package io.mtemigrate.host;

import io.grpc.stub.StreamObserver;
import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationProgress;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.SetMigrationLimitsRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A migration under way, watched and steered through the API: its limits, its cancellation, its failure. */
class HostSteeringTest {
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

    /** Every event of the migration as it comes, on a gRPC thread. */
    private static List<MigrationEvent> follow(MigrationInfo migration) {
        List<MigrationEvent> events = new CopyOnWriteArrayList<>();
        hosts.clients.get(0).async().watchMigration(request(migration), new StreamObserver<>() {
            @Override
            public void onNext(MigrationEvent event) {
                events.add(event);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        return events;
    }

    private static MigrationInfo awaitEnd(MigrationInfo migration) {
        await().atMost(Duration.ofSeconds(60)).until(() ->
                hosts.api(0).describeMigration(request(migration)).getState() != MigrationState.MIGRATION_STATE_RUNNING);
        return hosts.api(0).describeMigration(request(migration));
    }

    @Test
    void shouldShowProgressThenTheOutcome() {
        hosts.create(0, "watched", Hosts.guest(32 << 20, Workload.ALLOC, 4 << 20, 30, 4096));
        MigrationInfo started = hosts.start(0, "watched", 1,
                MigrationOptions.newBuilder().setMaxBandwidth(24 * MB).build());
        List<MigrationEvent> events = hosts.watch(0, started.getMigrationId());
        List<MigrationProgress> progress = events.stream().filter(MigrationEvent::hasProgress)
                .map(MigrationEvent::getProgress).toList();
        assertTrue(progress.size() >= 5, "a progress report a few times a second: " + progress.size());
        assertTrue(progress.stream().anyMatch(p -> p.getPhase().equals("first pass") && p.getRamPercent() > 0
                && p.getRamPercent() < 100 && p.getPageDataBytes() > 0 && p.getTagBytes() > 0));
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i).getBytesSent() >= progress.get(i - 1).getBytesSent());
        }
        MigrationInfo finished = events.getLast().getFinished();
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, finished.getState(), finished.getError());
        assertTrue(finished.getReport().getBytesOnWire() > 32 << 20);
        hosts.awaitVm(1, "watched");
        hosts.api(1).destroyVm(io.mtemigrate.proto.VmRequest.newBuilder().setVmId("watched").build());
    }

    @Test
    void shouldSlowDownWhenTheBandwidthCapIsLowered() {
        // Idle with random memory, until stopped: the first pass alone carries 64 MiB.
        hosts.create(0, "capped", io.mtemigrate.proto.GuestSpec.newBuilder().setRamBytes(64 << 20)
                .setWorkload("idle").setFill("random").setSteps(0).build());
        MigrationInfo started = hosts.start(0, "capped", 1, MigrationOptions.newBuilder()
                .setMaxBandwidth(40 * MB).build());
        List<MigrationEvent> events = follow(started);
        await().atMost(Duration.ofSeconds(10)).until(() -> progressAfter(events, 0).size() >= 3);
        long loweredAt = progressAfter(events, 0).getLast().getElapsedMs();
        hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                .setMigrationId(started.getMigrationId()).setMaxBandwidth(4 * MB).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> !progressAfter(events, loweredAt + 1500).isEmpty());
        double before = rate(progressBetween(events, 0, loweredAt));
        double after = rate(progressBetween(events, loweredAt + 300, Long.MAX_VALUE));
        assertTrue(before > 25 * MB, "about 40 MB/s under the first cap: " + before / MB);
        assertTrue(after < 6 * MB, "about 4 MB/s once lowered: " + after / MB);
        MigrationInfo info = hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                .setMigrationId(started.getMigrationId()).setMaxBandwidth(0).build());
        assertEquals(0, info.getMaxBandwidth());
        MigrationInfo finished = awaitEnd(started);
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, finished.getState(), finished.getError());
        hosts.awaitVm(1, "capped");
        hosts.api(1).destroyVm(io.mtemigrate.proto.VmRequest.newBuilder().setVmId("capped").build());
        System.out.printf("bandwidth cap lowered from 40 to 4 MB/s: %.1f MB/s before, %.1f MB/s after%n",
                before / MB, after / MB);
    }

    private static List<MigrationProgress> progressAfter(List<MigrationEvent> events, long elapsedMs) {
        return progressBetween(events, elapsedMs, Long.MAX_VALUE);
    }

    private static List<MigrationProgress> progressBetween(List<MigrationEvent> events, long from, long to) {
        return events.stream().filter(MigrationEvent::hasProgress).map(MigrationEvent::getProgress)
                .filter(p -> p.getPhase().equals("first pass") && p.getElapsedMs() >= from && p.getElapsedMs() <= to)
                .toList();
    }

    /** Bytes per second between the first and the last report. */
    private static double rate(List<MigrationProgress> reports) {
        MigrationProgress first = reports.getFirst();
        MigrationProgress last = reports.getLast();
        return (last.getBytesSent() - first.getBytesSent()) * 1000.0 / Math.max(1, last.getElapsedMs() - first.getElapsedMs());
    }

    /** A guest that dirties 32 MiB/s against an 8 MB/s cap, with a 1 ms limit and no auto-converge. */
    private static MigrationInfo startNonConverging(String vm, int maxRounds) {
        hosts.create(0, vm, Hosts.guest(16 << 20, Workload.RANDOM, 32 << 20, 60, 4096));
        return hosts.start(0, vm, 1, MigrationOptions.newBuilder().setMaxBandwidth(8 * MB).setDowntimeMs(1)
                .setNoAutoConverge(true).setMaxRounds(maxRounds).build());
    }

    @Test
    void shouldFinishOnceTheDowntimeLimitIsRaised() {
        MigrationInfo started = startNonConverging("stuck", 100_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            MigrationInfo now = hosts.api(0).describeMigration(request(started));
            return now.getProgress().getRound() >= 2 && !now.getConvergence().isEmpty();
        });
        MigrationInfo stuck = hosts.api(0).describeMigration(request(started));
        assertEquals(MigrationState.MIGRATION_STATE_RUNNING, stuck.getState());
        assertTrue(stuck.getConvergence().contains("It would converge with a downtime limit of at least"),
                stuck.getConvergence());
        hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                .setMigrationId(started.getMigrationId()).setDowntimeMs(60_000).build());
        MigrationInfo finished = awaitEnd(started);
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, finished.getState(), finished.getError());
        assertEquals(60_000, finished.getDowntimeLimitMs());
        hosts.awaitVm(1, "stuck");
        hosts.api(1).destroyVm(io.mtemigrate.proto.VmRequest.newBuilder().setVmId("stuck").build());
    }

    @Test
    void shouldSayInNumbersWhyItDidNotConverge() {
        MigrationInfo finished = awaitEnd(startNonConverging("hopeless", 3));
        assertEquals(MigrationState.MIGRATION_STATE_FAILED, finished.getState());
        String error = finished.getError();
        System.out.println(error);
        assertTrue(error.contains("from host h0 to 127.0.0.1:"), error);
        assertTrue(error.contains("during pre-copy rounds"), error);
        assertTrue(error.contains("did not converge in 3 rounds"), error);
        assertTrue(error.matches(".*dirties [0-9.]+ MB/s against [0-9.]+ MB/s of bandwidth \\(capped at 8.0 MB/s\\).*"),
                error);
        assertTrue(error.contains("against a downtime limit of 1 ms"), error);
        assertTrue(error.contains("It would converge with a downtime limit of at least"), error);
        assertTrue(error.contains("auto-converge (off for this migration)"), error);
        assertEquals(VmState.VM_STATE_RUNNING, hosts.describe(0, "hopeless", false).getState());
        hosts.api(0).destroyVm(io.mtemigrate.proto.VmRequest.newBuilder().setVmId("hopeless").build());
    }

    @Test
    void shouldLeaveTheGuestRunningOnItsSourceWhenCancelled() {
        String vm = "cancelled";
        hosts.create(0, vm, Hosts.guest(32 << 20, Workload.ALLOC, 4 << 20, 3, 4096));
        MigrationInfo started = hosts.start(0, vm, 1, MigrationOptions.newBuilder().setMaxBandwidth(4 * MB).build());
        await().atMost(Duration.ofSeconds(10)).until(() ->
                hosts.api(0).describeMigration(request(started)).getProgress().getBytesSent() > 1 << 20);
        assertEquals(VmState.VM_STATE_MIGRATING, hosts.describe(0, vm, false).getState());
        hosts.api(0).cancelMigration(request(started));
        MigrationInfo finished = awaitEnd(started);
        assertEquals(MigrationState.MIGRATION_STATE_CANCELLED, finished.getState(), finished.getError());
        VmInfo after = hosts.describe(0, vm, false);
        assertTrue(after.getState() == VmState.VM_STATE_RUNNING || after.getState() == VmState.VM_STATE_HALTED,
                after.getState().name());
        await().atMost(Duration.ofSeconds(10)).until(() -> hosts.hosts.get(1).activeIncoming() == 0);
        assertEquals(0, hosts.api(1).listVms(io.mtemigrate.proto.ListVmsRequest.getDefaultInstance()).getVmsCount());
        VmInfo end = hosts.finish(0, vm);
        assertTrue(end.getAtReference(), end.getDigest() + " vs reference " + end.getReferenceDigest());
        assertEquals(0, end.getHops());
        hosts.api(0).destroyVm(io.mtemigrate.proto.VmRequest.newBuilder().setVmId(vm).build());
    }
}
