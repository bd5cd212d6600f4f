package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.MachineSpec;
import io.mtemigrate.vmsim.machine.SimulatedMachine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What "Integrity without copies" (DESIGN.md) promises. Page data goes to the socket from the running guest's
 * memory, so a page the guest rewrites while the kernel copies it arrives torn; its dirty bit brings it again, and
 * the torn version never reaches the end. And since the incremental digests only prove what was sent, a lost dirty
 * bit must be caught by the source's full read of its paused memory before it lets its copy go.
 */
class ZeroCopyIntegrityTest {
    private static final long RAM = 16L << 20;
    /** Torn pre-copy rounds seen over the whole matrix: at least one, or tearing was never exercised. */
    private static final AtomicLong TORN_ROUNDS = new AtomicLong();
    private static final AtomicLong WRITING_GUESTS_MIGRATED = new AtomicLong();
    private LoopbackTarget target;

    @BeforeEach
    void startTarget() throws InterruptedException {
        target = new LoopbackTarget();
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }

    static Stream<Arguments> writingWorkloadsAndPageSizes() {
        return Stream.of(Workload.values()).filter(w -> w != Workload.IDLE)
                .flatMap(w -> Stream.of(PageSize.values()).map(p -> Arguments.of(w, p)));
    }

    @ParameterizedTest
    @MethodSource("writingWorkloadsAndPageSizes")
    void shouldEndOnTheReferenceDigestWhenTheGuestRewritesPagesWhileTheyAreSent(Workload workload, PageSize pageSize)
            throws Exception {
        // Dirtying a sixth of RAM per second with several rounds of 5 ms: pages change under the kernel's copy.
        MachineSpec spec = Guests.live(workload, pageSize, RAM, 2, 96L << 20, 1.0);
        long reference = Guests.referenceDigest(spec);
        MigrationReport report;
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            source.start();
            report = target.migrate(source, MigrationConfig.defaults().withDowntimeLimit(Duration.ofMillis(20)),
                    ProgressListener.NONE);
        }
        assertEquals("completed", report.getStatus(), report.getError());
        assertEquals(report.getSourceDigest(), report.getTargetDigest());
        TORN_ROUNDS.addAndGet(report.getRoundsWithTornPages());
        WRITING_GUESTS_MIGRATED.incrementAndGet();
        ArrivedVm arrived = target.awaitArrival();
        try {
            assertEquals(RamDigest.hex(reference), RamDigest.hex(Guests.runToEnd(arrived.machine())),
                    "a page torn on the wire reached the guest's final state");
            assertEquals(0, arrived.machine().progress().tagCheckFaults());
        } finally {
            arrived.machine().close();
        }
    }

    @AfterAll
    static void tearingWasExercised() {
        if (WRITING_GUESTS_MIGRATED.get() < 6) {
            return; // a single case may well tear nothing; the matrix cannot
        }
        System.out.printf("zero-copy: %d pre-copy rounds had pages torn by the running guest, all healed%n",
                TORN_ROUNDS.get());
        assertTrue(TORN_ROUNDS.get() > 0, "no page was ever torn on the wire: the test proved nothing about tearing");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(PageSize.class)
    void shouldSendEveryGuestPageWithDataInAnyOfItsHostPagesAndNoOther(PageSize pageSize) throws Exception {
        // The memory file's holes are host pages (4 KiB): a larger guest page may hold data in its last one only,
        // and the pages between data must go as zero pages without being read.
        MachineSpec spec = Guests.live(Workload.IDLE, pageSize, RAM, 1, 0, 1.0)
                .withFill(io.mtemigrate.vmsim.machine.Fill.ZERO);
        try (SimulatedMachine source = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            var memory = source.vm().memslots().get(0).memory();
            long[] pages = {0, 3, 4, 200, RAM / pageSize.bytes() - 1};
            for (long page : pages) {
                memory.putLong(page * pageSize.bytes() + pageSize.bytes() - 8, page + 1);
            }
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);

            assertEquals("completed", report.getStatus(), report.getError());
            assertEquals(RAM / pageSize.bytes() - pages.length, report.getZeroPages(), "every other page is a hole");
            ArrivedVm arrived = target.awaitArrival();
            try {
                var landed = arrived.machine().ramSlots().get(0).segment();
                for (long page : pages) {
                    assertEquals(page + 1, landed.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, page * pageSize.bytes() + pageSize.bytes() - 8));
                }
            } finally {
                arrived.machine().close();
            }
        }
    }

    @Test
    void shouldCatchALostDirtyBitWithTheSourcesFullDigestAndKeepTheGuest() throws Exception {
        // An idle guest tears nothing; the one change it "makes" is the store whose dirty bit is lost.
        MachineSpec spec = Guests.live(Workload.IDLE, PageSize.SIZE_4K, RAM, 2, 0, 2.0);
        LostDirtyBit kvm = new LostDirtyBit(77);
        try (SimulatedMachine source = SimulatedMachine.boot(kvm, spec)) {
            source.start();
            MigrationReport report = target.migrate(source, MigrationConfig.defaults(), ProgressListener.NONE);

            assertEquals(77, kvm.lostPage.get(), "the dirty log was never read");
            assertEquals("failed", report.getStatus(), "a migration that lost a dirty bit passed verification");
            assertTrue(report.getError().contains("the source's full RAM+tags digest"), report.getError());
            assertTrue(target.arrived.isEmpty(), "the target must not keep a guest missing a page");
            assertFalse(source.vm().vcpusPaused(), "the source guest runs on");
        }
    }
}
