package io.mtemigrate.e2e;

import io.grpc.StatusRuntimeException;
import io.mtemigrate.cli.certs.CertificateMaker;
import io.mtemigrate.host.HostClient;
import io.mtemigrate.migration.MutualTls;
import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.DescribeVmRequest;
import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.HostGrpc;
import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.StartMigrationRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
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
 * Three `mte-migrate host` processes, each in a network namespace of its own, joined in a ring of shaped links
 * with mutual TLS, driven only through their control APIs (mutual TLS too): four running MTE guests of different
 * workloads and page sizes go around the ring at the same time and end at their reference digests. Needs root and
 * iproute2; skips, saying why, without them.
 */
@Timeout(600)
class HostRingNamespaceTest {
    private static final Path LAUNCHER = Path.of("..", "mte-migrate").toAbsolutePath().normalize();
    private static final int LAPS = Integer.getInteger("mtemigrate.ring.laps", 5);
    private static final long LINK_BITS = 1_000_000_000L;
    private static final int API_PORT = 7780;

    @TempDir
    static Path dir;
    private static HostRing ring;
    private static final List<HostClient> clients = new ArrayList<>();

    private record Guest(String id, Workload workload, int pageSize, long ram, long rate) {
    }

    @BeforeAll
    static void startHosts() throws Exception {
        Assumptions.assumeTrue(HostPair.unavailableReason().isEmpty(),
                () -> "skipped: " + HostPair.unavailableReason().orElse(""));
        CertificateMaker.make(dir.resolve("pki"), HostRing.allAddresses(), 2);
        ring = HostRing.create(LINK_BITS);
        for (int i = 0; i < HostRing.HOSTS; i++) {
            String name = "h" + i;
            ring.start(i, dir, name, List.of(LAUNCHER.toString(), "host", "--name", name, "--listen", "0.0.0.0:7777",
                    "--api", HostRing.apiAddress(i) + ":" + API_PORT, "--no-metrics",
                    "--tls-keystore", "pki/" + CertificateMaker.HOST, "--tls-truststore", "pki/trust.p12",
                    "--tls-password-file", "pki/password"));
        }
        MutualTls.Credentials operator = MutualTls.load(dir.resolve("pki/source.p12"), dir.resolve("pki/trust.p12"),
                dir.resolve("pki/password"));
        for (int i = 0; i < HostRing.HOSTS; i++) {
            String name = "h" + i;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> output(name).contains("control API on"));
            clients.add(new HostClient(HostRing.apiAddress(i), API_PORT, operator));
        }
    }

    @AfterAll
    static void stopHosts() {
        clients.forEach(HostClient::close);
        if (ring != null) {
            ring.close();
        }
    }

    @Test
    void shouldTakeFourRunningGuestsAroundTheRingAndEndAtTheirReferences() throws Exception {
        List<Guest> guests = List.of(new Guest("ring-alloc", Workload.ALLOC, 4096, 32 << 20, 4 << 20),
                new Guest("ring-tagonly", Workload.TAGONLY, 16384, 32 << 20, 2 << 20),
                new Guest("ring-hotset", Workload.HOTSET, 4096, 32 << 20, 2 << 20),
                new Guest("ring-stream", Workload.STREAM, 16384, 32 << 20, 2 << 20));
        int hops = LAPS * HostRing.HOSTS;
        double seconds = 4.0 * hops;
        for (int g = 0; g < guests.size(); g++) {
            Guest guest = guests.get(g);
            api(g % HostRing.HOSTS).createVm(CreateVmRequest.newBuilder().setVmId(guest.id)
                    .setSpec(spec(guest, seconds, 7000 + g)).build());
        }
        long begin = System.nanoTime();
        List<Callable<String>> tours = new ArrayList<>();
        for (int g = 0; g < guests.size(); g++) {
            Guest guest = guests.get(g);
            int home = g % HostRing.HOSTS;
            tours.add(() -> tour(guest.id, home, hops));
        }
        List<String> lines = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(guests.size())) {
            for (Future<String> tour : pool.invokeAll(tours)) {
                lines.add(tour.get());
            }
        }
        long touredMs = (System.nanoTime() - begin) / 1_000_000;
        for (int g = 0; g < guests.size(); g++) {
            Guest guest = guests.get(g);
            int home = g % HostRing.HOSTS;
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> describe(home, guest.id, false).getState() == VmState.VM_STATE_HALTED);
            VmInfo end = describe(home, guest.id, true);
            assertEquals(hops, end.getHops(), guest.id);
            assertTrue(end.getMte(), guest.id);
            assertEquals(0, end.getTagCheckFaults(), guest.id);
            assertTrue(end.getAtReference(), guest.id + ": " + end.getDigest() + " vs " + end.getReferenceDigest());
            lines.add(String.format(Locale.ROOT, "  %s (%s, %d K pages): digest %s = reference %s, %d hops",
                    guest.id, guest.workload.cliName(), guest.pageSize / 1024, end.getDigest(),
                    end.getReferenceDigest(), end.getHops()));
        }
        System.out.printf(Locale.ROOT, "ring of 3 namespaces over %d Mbit/s links: 4 guests, %d laps (%d hops each)"
                        + " at once in %d ms, all at their reference after %d ms%n%s%n", LINK_BITS / 1_000_000, LAPS,
                hops, touredMs, (System.nanoTime() - begin) / 1_000_000, String.join("\n", lines));
    }

    /** One guest's laps; returns its hop times. */
    private static String tour(String vm, int home, int hops) {
        List<Long> times = new ArrayList<>();
        int at = home;
        int running = 0;
        for (int hop = 0; hop < hops; hop++) {
            int next = (at + 1) % HostRing.HOSTS;
            if (describe(at, vm, false).getState() == VmState.VM_STATE_RUNNING) {
                running++;
            }
            MigrationInfo done = migrate(at, vm, next);
            assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), vm + ": " + done.getError());
            assertEquals(done.getReport().getSourceDigest(), done.getReport().getTargetDigest(), vm);
            times.add(done.getReport().getTotalTimeMs());
            int arrivedAt = next;
            await().atMost(Duration.ofSeconds(30)).ignoreException(StatusRuntimeException.class)
                    .until(() -> describe(arrivedAt, vm, false) != null);
            at = next;
        }
        assertTrue(running >= hops / 2, vm + " ran during most hops: " + running + " of " + hops);
        return "  " + vm + ": hop times " + times + " ms, running at the start of " + running + " of " + hops;
    }

    /** Starts a migration and follows it to its end; a busy target (four guests at once) is asked again. */
    private static MigrationInfo migrate(int from, String vm, int to) {
        MigrationInfo[] last = new MigrationInfo[1];
        await().atMost(Duration.ofSeconds(120)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    MigrationInfo started = api(from).startMigration(StartMigrationRequest.newBuilder().setVmId(vm)
                            .setTarget(HostRing.ringAddress(from, to) + ":7777")
                            .setOptions(MigrationOptions.newBuilder().setDowntimeMs(300)).build());
                    Iterator<MigrationEvent> events = api(from).watchMigration(
                            MigrationRequest.newBuilder().setMigrationId(started.getMigrationId()).build());
                    MigrationEvent event = null;
                    while (events.hasNext()) {
                        event = events.next();
                    }
                    last[0] = event.getFinished();
                    return !last[0].getError().contains("BUSY");
                });
        return last[0];
    }

    private static GuestSpec spec(Guest guest, double seconds, long seed) {
        int vcpus = 2;
        long steps = (long) (guest.rate / vcpus / guest.workload.program().bytesPerStep() * seconds);
        return GuestSpec.newBuilder().setRamBytes(guest.ram).setWorkload(guest.workload.cliName())
                .setDirtyRate(guest.rate).setSteps(steps).setVcpus(vcpus).setPageSize(guest.pageSize).setSeed(seed)
                .build();
    }

    private static HostGrpc.HostBlockingStub api(int host) {
        return clients.get(host).blocking();
    }

    private static VmInfo describe(int host, String vm, boolean digests) {
        return api(host).describeVm(DescribeVmRequest.newBuilder().setVmId(vm).setDigests(digests).build());
    }

    private static String output(String name) throws IOException {
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        return (Files.exists(out) ? Files.readString(out) : "") + (Files.exists(err) ? Files.readString(err) : "");
    }
}
