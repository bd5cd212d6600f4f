package io.mtemigrate.e2e;

import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import io.mtemigrate.incoming.TargetListener;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One bad or greedy peer cannot exhaust a target: connections, handshakes and migrations are all bounded. */
class TargetLimitsTest {
    private static final MachineSpec SMALL = new MachineSpec(1L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE,
            Fill.RANDOM, 3, 1_000, 0);

    @Test
    void shouldRefuseAMigrationBeyondTheLimitAndFinishTheOneUnderWay() throws Exception {
        MachineSpec slow = new MachineSpec(16L << 20, PageSize.SIZE_4K, 1, true, Workload.IDLE, Fill.RANDOM, 3, 1_000, 0);
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback().withMaxMigrations(1));
             SimulatedMachine first = SimulatedMachine.boot(EmulatedKvm.withMte(), slow);
             SimulatedMachine second = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
            // 16 MiB at 8 MB/s: two seconds under way.
            CompletableFuture<MigrationReport> underWay = CompletableFuture.supplyAsync(() -> target.migrate(first,
                    MigrationConfig.defaults().withMaxBandwidth(8_000_000), ProgressListener.NONE));
            await().atMost(Duration.ofSeconds(10)).until(() -> target.server.activeMigrations() == 1);
            MigrationReport refused = target.migrate(second, MigrationConfig.defaults(), ProgressListener.NONE);
            assertEquals("failed", refused.getStatus());
            assertTrue(refused.getError().contains("BUSY"), refused.getError());
            MigrationReport finished = underWay.get();
            assertEquals("completed", finished.getStatus(), finished.getError());
            target.awaitArrival().machine().close();
        }
    }

    @Test
    void shouldCloseAConnectionThatSaysNothing() throws Exception {
        try (LoopbackTarget target = new LoopbackTarget(TargetConfig.loopback()
                .withHandshakeTimeout(Duration.ofMillis(500)));
             Socket silent = new Socket(target.address().getAddress(), target.server.port())) {
            silent.setSoTimeout(10_000);
            assertEquals(-1, silent.getInputStream().read(), "the target closes the silent connection");
            assertEquals(List.of("no Hello within 500 ms"), target.refused);
            assertTrue(target.failures.isEmpty());
            assertMigrates(target);
        }
    }

    @Test
    void shouldCloseConnectionsBeyondItsLimitAndServeAgainOnceTheyAreGone() throws Exception {
        TargetConfig config = TargetConfig.loopback().withMaxMigrations(1).withHandshakeTimeout(Duration.ofMinutes(1));
        int limit = config.maxConnections();
        int extra = 8;
        List<Socket> flood = new ArrayList<>();
        try (LoopbackTarget target = new LoopbackTarget(config)) {
            try {
                for (int i = 0; i < limit + extra; i++) {
                    flood.add(new Socket(target.address().getAddress(), target.server.port()));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> target.refused.size() == extra);
                assertTrue(target.refused.getFirst().contains("more than " + limit + " connections"), target.refused.toString());
                int closed = 0;
                for (Socket socket : flood) {
                    closed += isClosedByPeer(socket) ? 1 : 0;
                }
                assertEquals(extra, closed, "exactly the connections above the limit are closed");
            } finally {
                for (Socket socket : flood) {
                    socket.close();
                }
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertMigrates(target));
        }
    }

    @Test
    void shouldRefuseToListenBeyondLoopbackWithoutAuthentication() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TargetServer.start(TargetConfig.loopback().withHost("0.0.0.0").withVms(new EmulatorVmFactory()),
                        TargetListener.CLOSE_ON_ARRIVAL));
        assertTrue(e.getMessage().contains("0.0.0.0 is not a loopback address and no authentication"), e.getMessage());
    }

    private static boolean isClosedByPeer(Socket socket) throws IOException {
        socket.setSoTimeout(300);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static void assertMigrates(LoopbackTarget target) throws Exception {
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), SMALL)) {
            MigrationReport report = new SourceMigration(source, target.address(), MigrationConfig.defaults(),
                    ProgressListener.NONE).run();
            assertEquals("completed", report.getStatus(), report.getError());
            target.awaitArrival().machine().close();
        }
    }
}
