package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import io.mtemigrate.vmsim.uffd.PageFault;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Optional;

import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_READ;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.TAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

/**
 * A vCPU blocked on a missing page stands between two steps: the step it was in is taken back whole, so it pauses,
 * shows its registers, and leaves with the VM's close like any stopped vCPU. Every page size.
 */
class UffdVcpuControlTest {
    private static final int TAG = 6;

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldPauseABlockedVcpuBetweenStepsAndFaultAgainOnResume(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(1), TAG), 0, true).start();
            await().atMost(UffdFixture.WAIT).until(() -> f.gate().waitingVcpus() == 1);

            assertTimeoutPreemptively(UffdFixture.WAIT, f.vm::pauseVcpus, "pausing waited for the missing page");
            assertTrue(f.vm.vcpusPaused());
            VcpuState paused = f.vm.vcpus().get(0).getState();
            assertEquals(0, paused.steps(), "the faulting step is not done");
            assertEquals(ProbeProgram.PC, paused.pc());
            assertEquals(0, f.memory(f.counter), "the step's store before the fault was taken back");
            assertEquals(0, f.gate().waitingVcpus());
            assertEquals(Optional.empty(), f.uffd.readFault(Duration.ZERO), "the paused vCPU's unread fault is gone");

            f.vm.resumeVcpus();
            assertEquals(new PageFault(f.page(1), 0, false), f.nextFault(), "running on, it faults again");
            f.install(f.page(1), 42, TAG);
            VcpuState done = f.haltedState(0);
            assertEquals(42, done.x()[2]);
            assertEquals(1, done.steps());
            assertEquals(1, f.memory(f.counter), "the re-run step stored once, not twice");
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldTakeBackAStoreTheStepMadeBeforeItsFaultAndRunItOnce(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, TAG_WRITE, TaggedPointers.withTag(f.page(0), 2), 0, true).start();
            f.nextFault();
            await().atMost(UffdFixture.WAIT).until(() -> f.gate().waitingVcpus() == 1);
            assertEquals(0, f.memory(f.counter));
            f.install(f.page(0), 0, TAG);
            f.haltedState(0);
            assertEquals(1, f.memory(f.counter));
            assertEquals(2, f.tagsOf(f.page(0))[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReleaseBlockedVcpusWhenTheVmCloses(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 2)) {
            f.probe(0, DATA_READ, f.page(0), 0, false);
            f.probe(1, DATA_READ, f.page(1), 0, false).start();
            f.nextFault();
            f.nextFault();
            assertTimeoutPreemptively(UffdFixture.WAIT, f.vm::close, "closing waited for the missing pages");
            assertNull(f.vm.vcpuFailure(), "a released vCPU is no failure");
            assertEquals(0, f.gate().waitingVcpus());
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldPauseAndResumeRepeatedlyWhileAVcpuWaits(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 2)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(0), TAG), 0, true);
            f.probe(1, DATA_READ, f.counter + 8, 0, false).start();
            for (int i = 0; i < 20; i++) {
                assertTimeoutPreemptively(UffdFixture.WAIT, f.vm::pauseVcpus);
                assertEquals(0, f.vm.vcpus().get(0).getState().steps());
                assertEquals(0, f.memory(f.counter));
                f.vm.resumeVcpus();
            }
            f.install(f.page(0), 9, TAG);
            assertEquals(9, f.haltedState(0).x()[2]);
            assertEquals(1, f.memory(f.counter));
        }
    }
}
