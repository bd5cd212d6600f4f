package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.guest.TaggedPointers;
import io.mtemigrate.vmsim.uffd.PageFault;
import io.mtemigrate.vmsim.uffd.UffdConstants;
import io.mtemigrate.vmsim.uffd.UffdException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_AND_TAG_READ;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_READ;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.DATA_WRITE;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.TAG_READ;
import static io.mtemigrate.vmsim.emu.ProbeProgram.Access.TAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

/** A vCPU meeting a missing page: what the VMM reads, what the install gives the guest, who wakes; every page size. */
class UffdFaultsTest {
    private static final long WORD = 0x1234_5678_9ABC_DEF0L;
    private static final int TAG = 0xB;

    static Stream<Arguments> accessesAndPageSizes() {
        return Stream.of(DATA_READ, DATA_WRITE, TAG_READ, TAG_WRITE)
                .flatMap(a -> Stream.of(PageSize.values()).map(ps -> Arguments.of(a, ps)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("accessesAndPageSizes")
    void shouldBlockTheVcpuOnAMissingPageUntilItsDataAndTagsAreInstalled(ProbeProgram.Access access, PageSize ps)
            throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 4, 1)) {
            long at = f.page(2) + 3 * 16 + 8;
            int pointerTag = access == TAG_WRITE ? 4 : TAG;
            f.probe(0, access, TaggedPointers.withTag(at, pointerTag), 77, false).start();

            PageFault fault = f.nextFault();
            assertEquals(new PageFault(f.page(2), 0, access.write), fault);
            assertEquals(access.write ? UffdConstants.UFFD_PAGEFAULT_FLAG_WRITE : 0, fault.flags());
            assertFalse(f.vm.awaitHalted(Duration.ofMillis(50)), "the vCPU ran on past a missing page");
            assertEquals(0, f.memory.getLong(2L * ps.bytes() + 3 * 16 + 8), "a blocked store must not land");

            assertEquals(ps.bytes(), f.install(f.page(2), WORD, TAG));
            VcpuState state = f.haltedState(0);
            assertEquals(0, state.tagCheckFaults(), "the installed tags were there at the first access");
            long offset = 2L * ps.bytes() + 3 * 16 + 8;
            switch (access) {
                case DATA_READ -> assertEquals(WORD ^ (3 * 16 + 8), state.x()[2]);
                case DATA_WRITE -> assertEquals(77, f.memory.getLong(offset));
                case TAG_READ -> assertEquals(TAG, TaggedPointers.tagOf(state.x()[2]));
                case TAG_WRITE -> {
                    byte[] tags = f.tagsOf(f.page(2));
                    assertEquals(4, tags[3]);
                    assertEquals(TAG, tags[2], "the other granules keep their installed tags");
                }
                default -> throw new AssertionError(access);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldInstallAZeroPageWithNonZeroTags(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(1) + ps.bytes() - 8, 9), 0, false).start();
            f.nextFault();
            assertEquals(ps.bytes(), f.uffd.zeroPage(f.page(1), ps.bytes(), UffdConstants.UFFDIO_ZEROPAGE_MODE_MTE_TAGS,
                    f.pageTags(0xF9)));
            VcpuState state = f.haltedState(0);
            assertEquals(0, state.x()[2]);
            assertEquals(0, state.tagCheckFaults());
            byte[] expected = new byte[ps.tagsPerPage()];
            Arrays.fill(expected, (byte) 9);
            assertArrayEquals(expected, f.tagsOf(f.page(1)), "the upper nibble is dropped, as COPY_TAGS drops it");
        }
    }

    /** The gap the proposal closes: today's UFFDIO_COPY on an MTE guest gives the page zero tags. */
    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldGiveAPageCopiedWithoutTagsZeroTags(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(0), TAG), 0, false).start();
            f.nextFault();
            assertEquals(ps.bytes(), f.uffd.copy(f.page(0), f.pageData(WORD), ps.bytes(), 0, null));
            assertEquals(1, f.haltedState(0).tagCheckFaults(), "a tagged pointer into a page installed untagged");
            assertArrayEquals(new byte[ps.tagsPerPage()], f.tagsOf(f.page(0)));
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldWakeBothVcpusWaitingOnOnePageWithOneInstall(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 2)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(1), TAG), 0, false);
            f.probe(1, TAG_WRITE, TaggedPointers.withTag(f.page(1) + ps.bytes() - 16, 3), 0, false).start();
            List<PageFault> faults = List.of(f.nextFault(), f.nextFault());
            assertEquals(Set.of(new PageFault(f.page(1), 0, false), new PageFault(f.page(1), 1, true)), Set.copyOf(faults));
            f.install(f.page(1), WORD, TAG);
            assertEquals(WORD, f.haltedState(0).x()[2]);
            assertEquals(0, f.haltedState(0).tagCheckFaults());
            assertEquals(3, f.tagsOf(f.page(1))[ps.tagsPerPage() - 1]);
            assertEquals(Optional.empty(), f.uffd.readFault(Duration.ZERO), "one fault per waiting vCPU");
        }
    }

    /**
     * The VMM serves the fault while a background push installs the same page, different content each: exactly
     * one install wins, the other is refused with EEXIST and wrote nothing, and the guest sees the winner's data
     * with the winner's tags. Twenty rounds per page size, on a fresh VM each.
     */
    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldLetExactlyOneOfTwoRacingInstallsWin(PageSize ps) throws Exception {
        for (int round = 0; round < 20; round++) {
            try (UffdFixture f = new UffdFixture(ps, 1, 1)) {
                f.probe(0, DATA_AND_TAG_READ, f.page(0) + 64, 0, false).start();
                f.nextFault();
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<Boolean> push = CompletableFuture.supplyAsync(() -> installs(f, together, 0xAAAAL, 5));
                boolean served = installs(f, together, 0xBBBBL, 9);
                boolean pushed = push.get(10, TimeUnit.SECONDS);
                assertTrue(served ^ pushed, "exactly one install succeeds (served " + served + ", pushed " + pushed + ")");
                VcpuState state = f.haltedState(0);
                long word = pushed ? 0xAAAAL : 0xBBBBL;
                assertEquals(word ^ 64, state.x()[2]);
                assertEquals(pushed ? 5 : 9, state.x()[5]);
                assertEquals(Set.of((byte) (pushed ? 5 : 9)), toSet(f.tagsOf(f.page(0))), "no tag of the loser");
            }
        }
    }

    private static boolean installs(UffdFixture f, CyclicBarrier together, long word, int tag) {
        ByteBuffer data = f.pageData(word);
        ByteBuffer tags = f.pageTags(tag);
        try {
            together.await(10, TimeUnit.SECONDS);
            f.uffd.copy(f.page(0), data, f.ps.bytes(), UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS, tags);
            return true;
        } catch (UffdException e) {
            assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
            return false;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Set<Byte> toSet(byte[] bytes) {
        return IntStream.range(0, bytes.length).mapToObj(i -> bytes[i]).collect(Collectors.toSet());
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldKeepAVcpuAsleepAfterADontWakeCopyUntilWake(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(0), TAG), 0, false).start();
            f.nextFault();
            f.uffd.copy(f.page(0), f.pageData(WORD), ps.bytes(),
                    UffdConstants.UFFDIO_COPY_MODE_MTE_TAGS | UffdConstants.UFFDIO_COPY_MODE_DONTWAKE, f.pageTags(TAG));
            assertFalse(f.vm.awaitHalted(Duration.ofMillis(100)), "DONTWAKE woke the vCPU");
            f.uffd.wake(f.page(1), ps.bytes());
            assertFalse(f.vm.awaitHalted(Duration.ofMillis(50)), "a wake of another page woke the vCPU");
            f.uffd.wake(f.page(0), ps.bytes());
            assertEquals(WORD, f.haltedState(0).x()[2]);
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDropAnUnreadFaultWhosePageWasInstalledMeanwhile(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_READ, TaggedPointers.withTag(f.page(1), TAG), 0, false).start();
            await().atMost(UffdFixture.WAIT).until(() -> f.gate().waitingVcpus() == 1);
            f.install(f.page(1), WORD, TAG);
            assertEquals(WORD, f.haltedState(0).x()[2]);
            assertEquals(Optional.empty(), f.uffd.readFault(Duration.ZERO));
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldGiveWaitingVcpusZeroMemoryWhenTheRangeIsUnregistered(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_AND_TAG_READ, f.page(1) + 16, 0, false).start();
            f.nextFault();
            f.uffd.unregister(f.page(0), 2L * ps.bytes());
            VcpuState state = f.haltedState(0);
            assertEquals(0, state.x()[2]);
            assertEquals(0, state.x()[5]);
        }
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReleaseWaitingVcpusWhenTheUffdCloses(PageSize ps) throws Exception {
        try (UffdFixture f = new UffdFixture(ps, 2, 1)) {
            f.probe(0, DATA_WRITE, f.page(0), 5, false).start();
            f.nextFault();
            f.uffd.close();
            f.haltedState(0);
            assertEquals(5, f.memory.getLong(0), "the page became ordinary memory");
        }
    }
}
