package io.mtemigrate.host;

import io.mtemigrate.proto.ListVmsRequest;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One host receiving 8 migrations at once while it accepts 4: the excess are refused as busy with a message that
 * says so, and the caller retries them until every guest has arrived and ends on its reference digest.
 */
@Timeout(180)
class HostLoadTest {
    private static final int TARGET = 2;
    private static final int LIMIT = 4;
    private static final int GUESTS = 8;
    private static final long MB = 1_000_000;
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(3, LIMIT);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    @Test
    void shouldRefuseTheExcessAsBusyAndCompleteEveryRetry() throws Exception {
        for (int i = 0; i < GUESTS; i++) {
            Workload workload = i % 2 == 0 ? Workload.ALLOC : Workload.TAGONLY;
            hosts.create(i % 2, "load" + i, Hosts.guest(16 << 20, workload, 1 << 20, 8, i < 4 ? 4096 : 16384)
                    .toBuilder().setSeed(1000 + i).build());
        }
        long begin = System.nanoTime();
        List<Callable<Arrival>> clients = new ArrayList<>();
        for (int i = 0; i < GUESTS; i++) {
            int from = i % 2;
            String vm = "load" + i;
            clients.add(() -> migrateUntilAccepted(from, vm, begin));
        }
        List<Arrival> arrivals = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(GUESTS)) {
            for (Future<Arrival> arrival : pool.invokeAll(clients)) {
                arrivals.add(arrival.get());
            }
        }
        long allArrivedMs = (System.nanoTime() - begin) / 1_000_000;

        int refusals = arrivals.stream().mapToInt(a -> a.refusals.size()).sum();
        assertTrue(refusals >= GUESTS - LIMIT, "at least the excess over the limit were refused: " + arrivals);
        assertTrue(arrivals.stream().filter(a -> a.refusals.isEmpty()).count() >= 1, "someone got in at once");
        for (Arrival arrival : arrivals) {
            for (String refusal : arrival.refusals) {
                assertTrue(refusal.contains("failed during handshake: the target refused: BUSY: this target"
                        + " already receives 4 migration(s), its limit")
                        && refusal.contains("vm " + arrival.vm) && refusal.contains("from host h"), refusal);
            }
        }
        assertEquals(GUESTS, hosts.api(TARGET).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount());
        assertEquals(0, hosts.api(0).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount()
                + hosts.api(1).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount());
        for (Arrival arrival : arrivals) {
            VmInfo end = hosts.finish(TARGET, arrival.vm);
            assertEquals(0, end.getTagCheckFaults(), arrival.vm);
            assertEquals(1, end.getHops(), arrival.vm);
            assertTrue(end.getAtReference(), arrival.vm + ": " + end.getDigest() + " vs " + end.getReferenceDigest());
        }
        arrivals.sort(Comparator.comparingLong(a -> a.arrivedMs));
        System.out.printf(Locale.ROOT, "load: %d migrations at once into a host taking %d: %d refused as busy and"
                        + " retried (per guest, in order of arrival: %s), arrival times %s ms, all arrived after %d"
                        + " ms, all at their reference after %d ms; a refusal reads \"%s\"%n", GUESTS, LIMIT,
                refusals, arrivals.stream().map(a -> String.valueOf(a.refusals.size())).toList(),
                arrivals.stream().map(a -> a.arrivedMs).toList(), allArrivedMs,
                (System.nanoTime() - begin) / 1_000_000,
                arrivals.stream().flatMap(a -> a.refusals.stream()).findFirst().orElse(""));
    }

    /** One client's view: start, follow to the end, and retry a busy refusal after a pause, as an operator would. */
    private static Arrival migrateUntilAccepted(int from, String vm, long begin) {
        // Capped so the first four are still arriving when the others knock (16 MiB at 8 MB/s is about 2 s), and
        // with room to converge: eight guests share two cores, and what is tested here is admission.
        MigrationOptions capped = MigrationOptions.newBuilder().setMaxBandwidth(8 * MB).setChannels(1)
                .setDowntimeMs(1000).build();
        List<String> refusals = new ArrayList<>();
        await().atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    MigrationInfo done = hosts.migrate(from, vm, TARGET, capped);
                    if (done.getState() == MigrationState.MIGRATION_STATE_COMPLETED) {
                        return true;
                    }
                    assertEquals(MigrationState.MIGRATION_STATE_FAILED, done.getState(), done.getError());
                    assertTrue(done.getError().contains("BUSY"), "only a busy target may refuse: " + done.getError());
                    VmState state = hosts.describe(from, vm, false).getState();
                    assertTrue(state == VmState.VM_STATE_RUNNING || state == VmState.VM_STATE_HALTED,
                            "a refused migration leaves the guest where it was, running or at its end: " + state);
                    refusals.add(done.getError());
                    return false;
                });
        return new Arrival(vm, refusals, (System.nanoTime() - begin) / 1_000_000);
    }

    private record Arrival(String vm, List<String> refusals, long arrivedMs) {
    }
}
