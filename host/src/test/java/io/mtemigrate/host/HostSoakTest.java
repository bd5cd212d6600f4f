package io.mtemigrate.host;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-to-back migrations of one guest between two hosts: what the process holds besides the guest (open files,
 * threads, heap, direct and native memory) stays flat, so a host can run for as long as its users migrate.
 * The 100 take under a minute here; {@code -Dmtemigrate.soak.migrations=N} runs another number.
 */
@Timeout(600)
class HostSoakTest {
    private static final int MIGRATIONS = Integer.getInteger("mtemigrate.soak.migrations", 100);
    /** Before the first measurement: the JIT, gRPC's and Netty's pools and the page cache settle. */
    private static final int WARM_UP = 4;
    private static final long GUEST_RAM = 16 << 20;
    private static final int FD_TOLERANCE = 4;
    private static final int THREAD_TOLERANCE = 4;
    /** Keeping every ended migration's engine grew the heap by 3.3 MiB per 100 migrations of this guest. */
    private static final long HEAP_TOLERANCE = 2L << 20;
    private static final long DIRECT_TOLERANCE = 16L << 20;
    /**
     * Resident memory beyond guest and heap wanders by up to ~90 MiB between measurements here, up or down from run
     * to run (malloc arenas, the code cache): this bound catches a leak of 1.3 MiB per migration or more, such as
     * a guest's memory kept after it left (16 MiB each).
     */
    private static final long NATIVE_TOLERANCE = 128L << 20;
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(2, 4);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    @Test
    void shouldHoldNoMoreAfterManyMigrationsThanAfterTheFirst() {
        String vm = "soak";
        // Alive for the whole soak at ~0.3 s per migration; a guest that ends early migrates on halted.
        hosts.create(0, vm, Hosts.guest(GUEST_RAM, Workload.ALLOC, 2 << 20, 0.4 * (MIGRATIONS + WARM_UP), 4096));
        int at = 0;
        ProcessFootprint start = null;
        ProcessFootprint middle = null;
        long measuredFrom = 0;
        String firstFromHostZero = null;
        String lastFromHostZero = null;
        for (int i = 0; i < WARM_UP + MIGRATIONS; i++) {
            if (i == WARM_UP) {
                start = ProcessFootprint.measure(GUEST_RAM);
                measuredFrom = System.nanoTime();
            } else if (i == WARM_UP + MIGRATIONS / 2) {
                middle = ProcessFootprint.measure(GUEST_RAM);
            }
            MigrationInfo done = hosts.migrate(at, vm, 1 - at, MigrationOptions.getDefaultInstance());
            assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), done.getError());
            if (at == 0) {
                firstFromHostZero = firstFromHostZero == null ? done.getMigrationId() : firstFromHostZero;
                lastFromHostZero = done.getMigrationId();
            }
            at = 1 - at;
        }
        double msPerMigration = (System.nanoTime() - measuredFrom) / 1e6 / MIGRATIONS;
        ProcessFootprint end = ProcessFootprint.measure(GUEST_RAM);
        System.out.printf(Locale.ROOT, "soak: %d migrations of a %d MiB guest, %.0f ms each%n  start  %s%n"
                        + "  middle %s%n  end    %s%n", MIGRATIONS, GUEST_RAM >> 20, msPerMigration, start, middle, end);

        VmInfo last = hosts.finish(at, vm);
        assertEquals(WARM_UP + MIGRATIONS, last.getHops());
        assertTrue(last.getAtReference(), last.getDigest() + " vs reference " + last.getReferenceDigest());
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, hosts.api(0).describeMigration(
                MigrationRequest.newBuilder().setMigrationId(lastFromHostZero).build()).getState());
        String forgotten = firstFromHostZero;
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> hosts.api(0)
                .describeMigration(MigrationRequest.newBuilder().setMigrationId(forgotten).build()));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode(),
                "a host keeps the last " + Vms.ENDED_KEPT + " outcomes, not all of them");
        assertTrue(end.fds() - start.fds() <= FD_TOLERANCE, "open files grew: " + start + " -> " + end);
        assertTrue(end.threads() - start.threads() <= THREAD_TOLERANCE, "threads grew: " + start + " -> " + end);
        assertTrue(end.heapAfterGc() - start.heapAfterGc() <= HEAP_TOLERANCE, "heap grew: " + start + " -> " + end);
        assertTrue(end.direct() - start.direct() <= DIRECT_TOLERANCE, "direct memory grew: " + start + " -> " + end);
        assertTrue(end.nativeBeyond() - start.nativeBeyond() <= NATIVE_TOLERANCE,
                "memory beyond the guest and the heap grew: " + start + " -> " + end);
    }
}
