package io.mtemigrate.e2e;

import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Phase;
import io.mtemigrate.source.Postcopy;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After the switch to post-copy the guest lives on two hosts, so a lost connection must lose nothing: the target
 * keeps running the guest (vCPUs that touch a missing page wait), the source keeps its frozen copy, and the two
 * reconnect and go on. A source that never comes back loses the guest: the target then stops it, with a clear
 * error, rather than run on with pages missing.
 */
class PostcopyRecoveryTest {
    /** The proxy's rate: the post-copy phase of the 16 MiB guest below lasts a second or so, long enough to cut. */
    private static final long LINK_RATE = 12L << 20;

    private static MachineSpec guest() {
        return Guests.live(Workload.RANDOM, PageSize.SIZE_4K, 16L << 20, 2, 32L << 20, 3.0);
    }

    private static MigrationConfig postcopy() {
        return MigrationConfig.defaults().withAutoConverge(false).withPostcopy(Postcopy.of(Postcopy.When.FIRST_PASS)
                .withRecoveryTimeout(Duration.ofSeconds(20)));
    }

    /** Cuts every connection {@code cuts} times, at random moments of the post-copy phase. */
    private static ProgressListener cutter(FaultProxy proxy, ScheduledExecutorService timer, long seed, int cuts) {
        Random random = new Random(seed);
        AtomicBoolean armed = new AtomicBoolean(true);
        return progress -> {
            if (progress.phase() == Phase.POSTCOPY && armed.compareAndSet(true, false)) {
                long at = 0;
                for (int i = 0; i < cuts; i++) {
                    at += 50 + random.nextInt(400);
                    timer.schedule(proxy::cutNow, at, TimeUnit.MILLISECONDS);
                }
            }
        };
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void shouldReconnectAfterCutsAtRandomMomentsAndEndOnTheReference(long seed) throws Exception {
        MachineSpec spec = guest();
        long reference = Guests.referenceDigest(spec);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (LoopbackTarget target = new LoopbackTarget(); FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            proxy.throttle(LINK_RATE);
            source.start();
            MigrationReport report = new SourceMigration(source, proxy.address(), postcopy(),
                    cutter(proxy, timer, seed, 2)).run();
            assertEquals("completed", report.getStatus(), report.getError());
            assertTrue(report.getPostcopy().getRecoveries() >= 1, "no cut landed in the post-copy phase: " + report);
            assertEquals(report.getSourceDigest(), report.getTargetDigest());
            ArrivedVm arrived = target.awaitArrival();
            try {
                assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(arrived.machine())));
                assertEquals(0, arrived.machine().progress().tagCheckFaults());
            } finally {
                arrived.machine().close();
            }
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void shouldStopTheGuestWithAClearErrorWhenTheSourceNeverComesBack() throws Exception {
        TargetConfig config = TargetConfig.loopback().withRecoveryTimeout(Duration.ofSeconds(2));
        try (LoopbackTarget target = new LoopbackTarget(config); FaultProxy proxy = new FaultProxy(target.address());
             SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), guest())) {
            proxy.throttle(LINK_RATE);
            source.start();
            AtomicBoolean cut = new AtomicBoolean();
            ProgressListener loseTheSource = progress -> {
                if (progress.phase() == Phase.POSTCOPY && cut.compareAndSet(false, true)) {
                    // As if the source host died: its connections drop and it never reaches the target again.
                    proxy.refuseNewConnections();
                    proxy.cutNow();
                }
            };
            MigrationReport report = new SourceMigration(source, proxy.address(), postcopy().withPostcopy(
                    Postcopy.of(Postcopy.When.FIRST_PASS).withRecoveryTimeout(Duration.ofSeconds(3))), loseTheSource).run();
            assertEquals("failed", report.getStatus());
            assertTrue(report.getError().contains("could not be made again"), report.getError());
            assertTrue(source.vm().vcpusPaused(), "the source's copy must stay paused: the guest ran on the target");
            await().atMost(Duration.ofSeconds(20)).until(() -> !target.failures.isEmpty());
            String failure = target.failures.getFirst();
            assertTrue(failure.contains("did not come back within 2 s") && failure.contains("is stopped"), failure);
            assertTrue(target.arrived.isEmpty(), "a guest with pages missing must not be handed over");
            await().atMost(Duration.ofSeconds(10)).until(() -> target.server.activeMigrations() == 0);
        }
    }
}
