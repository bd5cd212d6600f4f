package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmVm;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.UserMemoryRegion;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.emu.EmulatedKvm;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.uffd.PageFault;
import io.mtemigrate.vmsim.uffd.UffdAsserts;
import io.mtemigrate.vmsim.uffd.UffdConstants;
import io.mtemigrate.vmsim.uffd.UffdException;
import io.mtemigrate.vmsim.uffd.UserFaultFd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Post-copy by hand: guest A runs and pauses mid-run; guest B gets A's vCPU state and no memory at all, every page
 * registered missing, and a VMM thread installs each page B faults on from A's memory and tags, optionally while a
 * background push installs them all in order. B must end on the digest of the same guest run without a move.
 */
class PostCopyDeterminismTest {
    private static final long STEPS = 6_000;
    private static final long MID_RUN_MILLIS = 300;

    static Stream<Arguments> workloadsPageSizesAndPush() {
        return Stream.of(Workload.values()).flatMap(w -> Stream.of(PageSize.values())
                .flatMap(p -> Stream.of(Arguments.of(w, p, false), Arguments.of(w, p, true))));
    }

    private static MachineSpec spec(Workload workload, PageSize pageSize) {
        MachineSpec spec = new MachineSpec(2L * 64 * pageSize.bytes(), pageSize, 2, true, workload, Fill.RANDOM, 7, STEPS, 0);
        // Paced so that the budget lasts about MID_RUN_MILLIS and the pause lands mid-run (GuestDeterminismTest).
        return spec.withDirtyRate(spec.vcpus() * STEPS * workload.program().bytesPerStep() * 1000 / MID_RUN_MILLIS);
    }

    @ParameterizedTest(name = "{0}, {1}, background push {2}")
    @MethodSource("workloadsPageSizesAndPush")
    void shouldEndOnTheReferenceDigestWithEveryPageInstalledOnDemand(Workload workload, PageSize pageSize,
                                                                   boolean push) throws Exception {
        MachineSpec spec = spec(workload, pageSize);
        long reference;
        try (SimulatedMachine alone = SimulatedMachine.boot(EmulatedKvm.withMte(), spec)) {
            alone.start();
            assertTrue(alone.awaitHalted(Duration.ofSeconds(60)));
            reference = alone.ramDigest();
        }
        EmulatedKvm kvm = EmulatedKvm.withMte();
        try (SimulatedMachine a = SimulatedMachine.boot(kvm, spec);
             SimulatedMachine b = SimulatedMachine.create(kvm, spec.layout());
             UserFaultFd uffd = UffdAsserts.open(b.vm())) {
            a.start();
            pauseOnceEveryVcpuHasStepped(a);
            for (UserMemoryRegion slot : b.vm().memslots()) {
                uffd.register(slot.guestPhysAddr(), slot.memorySize(), UffdConstants.UFFDIO_REGISTER_MODE_MISSING);
            }
            b.restoreVcpus(a.saveVcpus());

            PageServer server = new PageServer(a.vm(), uffd);
            AtomicBoolean done = new AtomicBoolean();
            CompletableFuture<Void> vmm = CompletableFuture.runAsync(() -> server.serve(done));
            CompletableFuture<Void> background = push
                    ? CompletableFuture.runAsync(server::pushAll) : CompletableFuture.completedFuture(null);
            b.start();
            boolean halted = b.awaitHalted(Duration.ofSeconds(60));
            done.set(true);
            vmm.get(10, TimeUnit.SECONDS);
            background.get(60, TimeUnit.SECONDS);
            assertTrue(halted, "B did not reach its step budget");
            assertNull(b.vcpuFailure());
            if (!push && workload != Workload.IDLE) {
                assertTrue(server.served.get() > 0, "B faulted on no page");
            }
            if (!push) {
                server.pushAll();
            }
            assertEquals(reference, b.ramDigest());
            assertEquals(0, b.tagCheckFaults());
            for (VcpuState state : b.vcpuStates()) {
                assertEquals(STEPS, state.steps());
            }
        }
    }

    /** The VMM's side: pages of A (paused, so frozen) into B, data and tags in one install. */
    private record PageServer(KvmVm source, UserFaultFd uffd, AtomicLong served) {
        PageServer(KvmVm source, UserFaultFd uffd) {
            this(source, uffd, new AtomicLong());
        }

        void serve(AtomicBoolean done) {
            try {
                while (!done.get()) {
                    Optional<PageFault> fault = uffd.readFault(Duration.ofMillis(20));
                    if (fault.isPresent() && install(fault.get().address())) {
                        served.incrementAndGet();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void pushAll() {
            for (UserMemoryRegion slot : source.memslots()) {
                for (long at = 0; at < slot.memorySize(); at += source.pageSize().bytes()) {
                    install(slot.guestPhysAddr() + at);
                }
            }
        }

        /** False when the page was in already: the other installer won, or a vCPU faulted on it twice. */
        boolean install(long ipa) {
            UserMemoryRegion slot = source.memslots().stream()
                    .filter(s -> ipa >= s.guestPhysAddr() && ipa < s.guestPhysAddr() + s.memorySize())
                    .findFirst().orElseThrow();
            int pageBytes = source.pageSize().bytes();
            long offset = slot.memoryOffset() + ipa - slot.guestPhysAddr();
            HostMemory memory = slot.memory();
            ByteBuffer data = memory.chunk(offset).slice(HostMemory.offsetInChunk(offset), pageBytes);
            ByteBuffer tags = ByteBuffer.allocate(source.pageSize().tagsPerPage());
            source.copyMteTags(ipa, pageBytes, tags, KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0);
            try {
                uffd.copy(ipa, data, pageBytes, UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags);
                return true;
            } catch (UffdException e) {
                assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
                return false;
            }
        }
    }

    private static void pauseOnceEveryVcpuHasStepped(SimulatedMachine machine) {
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
            machine.pause();
            if (machine.vcpuStates().stream().allMatch(state -> state.steps() > 0)) {
                return true;
            }
            machine.resume();
            return false;
        });
    }
}
