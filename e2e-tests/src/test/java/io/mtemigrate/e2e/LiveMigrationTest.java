package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.incoming.ArrivedVm;
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
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Live migrations over loopback with the guest running through the whole migration: the target's memory must
 * equal the source's, and the guest, finishing its steps on the target, must end exactly where an unmigrated run
 * of the same program ends, without a single tag-check fault.
 */
class LiveMigrationTest {
    private static final long RAM = 16L << 20;
    /**
     * How long a migrated guest runs at its dirty rate. The switchover comes 0.05-0.4 s in on a quiet machine and
     * took over 1 s once on a loaded one; 3 s keeps it mid-run, where the final digest proves the most.
     */
    private static final double GUEST_SECONDS = 3.0;
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
        return Stream.of(Workload.values()).flatMap(w -> Stream.of(PageSize.values()).map(p -> Arguments.of(w, p)));
    }

    /** Migrates a live guest and checks every digest; returns the report. */
    private MigrationReport migrateAndVerify(MachineSpec spec, MigrationConfig config) throws Exception {
        long reference = Guests.referenceDigest(spec);
        MigrationReport report;
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            source.start();
            report = target.migrate(source, config, ProgressListener.NONE);
            assertEquals("completed", report.getStatus(), report.getError());
            assertPausedMidRun(source, spec);
        }
        assertEquals(report.getSourceDigest(), report.getTargetDigest());
        ArrivedVm arrived = target.awaitArrival();
        try {
            long finalDigest = Guests.runToEnd(arrived.machine());
            assertEquals(RamDigest.hex(reference), RamDigest.hex(finalDigest),
                    "the migrated guest ended elsewhere than the unmigrated one");
            assertEquals(0, arrived.machine().progress().tagCheckFaults(), "the guest saw tag-check faults after migrating");
        } finally {
            arrived.machine().close();
        }
        return report;
    }

    /**
     * The final digest proves most when the guest ran on both sides: a completed migration leaves the source paused
     * where it stopped, so its step counters say how far the guest had got at the switchover.
     */
    private static void assertPausedMidRun(SimulatedMachine source, MachineSpec spec) {
        for (VcpuState state : source.vcpuStates()) {
            assertTrue(state.steps() > 0 && state.steps() < spec.steps(), "the switchover must come mid-run, but a"
                    + " vCPU had run " + state.steps() + " of its " + spec.steps() + " steps at the pause");
        }
    }

    @ParameterizedTest
    @MethodSource("workloadsAndPageSizes")
    void shouldMigrateEveryGuestProgramWithEveryPageSize(Workload workload, PageSize pageSize) throws Exception {
        MachineSpec spec = Guests.live(workload, pageSize, RAM, 2, 8L << 20, GUEST_SECONDS);
        MigrationReport report = migrateAndVerify(spec, MigrationConfig.defaults());
        assertTrue(report.getPagesSent() >= RAM / pageSize.bytes(), "the first pass sends every page");
    }

    @ParameterizedTest
    @MethodSource("channelsAndCompression")
    void shouldMigrateOverAnyChannelCountWithAndWithoutCompression(int channels, boolean zstd) throws Exception {
        MachineSpec spec = Guests.live(Workload.HOTSET, PageSize.SIZE_4K, RAM, 2, 16L << 20, GUEST_SECONDS);
        migrateAndVerify(spec, MigrationConfig.defaults().withChannels(channels).withZstd(zstd));
    }

    static Stream<Arguments> channelsAndCompression() {
        return Stream.of(1, 2, 4).flatMap(n -> Stream.of(Arguments.of(n, false), Arguments.of(n, true)));
    }

    @Test
    void shouldCatchATrackerThatIgnoresTagOnlyStores() throws Exception {
        // The same tagonly guest that migrates cleanly above, on a KVM whose dirty log skips tag-only stores:
        // retagged pages are never resent, and the verification must notice before anyone trusts the copy.
        MachineSpec spec = Guests.live(Workload.TAGONLY, PageSize.SIZE_4K, RAM, 2, 8L << 20, 1.0);
        try (SimulatedMachine source = SimulatedMachine.boot(new DataOnlyDirtyTracking(), spec)) {
            long[] before = pageTagHashes(source);
            source.start();
            // Migrate only once the guest is past its set-up and retagging pages.
            await().atMost(java.time.Duration.ofSeconds(30)).until(() -> changedPages(before, pageTagHashes(source)) > 64);
            MigrationReport report = target.migrate(source, MigrationConfig.defaults().withDowntimeLimit(
                    java.time.Duration.ofMillis(5)), ProgressListener.NONE);
            assertEquals("failed", report.getStatus(), "a migration that lost tag-only stores passed verification: " + report);
            assertTrue(report.getError().contains("digest"), report.getError());
            assertTrue(target.arrived.isEmpty(), "the target must not keep a guest with lost tags");
            assertTrue(!source.vm().vcpusPaused(), "the source guest runs on");
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Workload.class, names = {"RANDOM", "STREAM", "TAGONLY", "ALLOC"})
    void shouldMigrateAGuestWritingIntoNeverWrittenMemory(Workload workload) throws Exception {
        // Zero fill leaves every page a hole the source sends without reading; the guest keeps writing into
        // them during the migration, so every hole it fills must be caught by the dirty log.
        MachineSpec spec = Guests.live(workload, PageSize.SIZE_4K, RAM, 2, 8L << 20, GUEST_SECONDS)
                .withFill(io.mtemigrate.vmsim.machine.Fill.ZERO);
        MigrationReport report = migrateAndVerify(spec, MigrationConfig.defaults());
        assertTrue(report.getZeroPages() > 0, "some pages went as zero flags");
    }

    /** A hash of each page's tags, read the way a VMM can while the guest runs. */
    private static long[] pageTagHashes(SimulatedMachine machine) {
        var region = machine.vm().memslots().get(0);
        int pages = (int) (region.memorySize() / 4096);
        java.nio.ByteBuffer tags = java.nio.ByteBuffer.allocate(pages * 256);
        machine.vm().copyMteTags(region.guestPhysAddr(), region.memorySize(), tags,
                io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        long[] hashes = new long[pages];
        for (int page = 0; page < pages; page++) {
            hashes[page] = io.mtemigrate.vmsim.digest.PageHash.hash(tags, page * 256, 256, 7);
        }
        return hashes;
    }

    private static int changedPages(long[] before, long[] after) {
        int changed = 0;
        for (int i = 0; i < before.length; i++) {
            changed += before[i] != after[i] ? 1 : 0;
        }
        return changed;
    }

    @Test
    void shouldMigrateAVmWithoutMteWithoutSendingTags() throws Exception {
        MachineSpec spec = Guests.live(Workload.RANDOM, PageSize.SIZE_4K, RAM, 2, 8L << 20, GUEST_SECONDS).withMte(false);
        MigrationReport report = migrateAndVerify(spec, MigrationConfig.defaults());
        assertEquals(0, report.getTagBytesOnWire());
    }

    @Test
    void shouldRewriteTheSamePagesEveryRoundWithoutReordering() throws Exception {
        // A hot set far smaller than a batch group, rewritten flat out on four channels, with a downtime limit
        // so small that many rounds run: every round resends the same pages.
        MachineSpec spec = Guests.live(Workload.HOTSET, PageSize.SIZE_4K, RAM, 1, 64L << 20, GUEST_SECONDS);
        MigrationConfig config = MigrationConfig.defaults().withChannels(4)
                .withDowntimeLimit(java.time.Duration.ofMillis(1)).withAutoConverge(true).withMaxRounds(60);
        MigrationReport report = migrateAndVerify(spec, config);
        assertTrue(report.getRounds() > 2, "expected several rounds, got " + report.getRounds());
    }
}
