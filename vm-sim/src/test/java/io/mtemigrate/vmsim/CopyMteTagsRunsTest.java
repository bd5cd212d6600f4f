package io.mtemigrate.vmsim;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Random;

import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_FROM_GUEST;
import static io.mtemigrate.vmsim.KvmConstants.KVM_ARM_TAGS_TO_GUEST;
import static io.mtemigrate.vmsim.TestVms.BASE;
import static io.mtemigrate.vmsim.TestVms.tagBuffer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KVM_ARM_MTE_COPY_TAGS copies runs of pages in bulk; these cases check that a run gives the same result as the
 * kernel's page-by-page loop where runs split: tagged next to never-tagged pages, bitmap words, masking blocks,
 * memslot ends and 1 GiB chunks of tag storage.
 */
class CopyMteTagsRunsTest {
    private final TestVms vms = new TestVms();

    @AfterEach
    void release() throws Exception {
        vms.close();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.limit()];
        buffer.get(0, out);
        return out;
    }

    private static ByteBuffer randomTags(PageSize ps, long pages, long seed) {
        ByteBuffer tags = tagBuffer(ps, pages);
        new Random(seed).nextBytes(tags.array());
        return tags;
    }

    private static byte[] masked(byte[] tags) {
        byte[] out = tags.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] &= 0xF;
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldReadZerosForTheNeverTaggedPagesOfARun(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        int pages = 150; // three bitmap words
        HostMemory memory = vms.addSlot(vm, 0, BASE, pages, 0);
        int t = ps.tagsPerPage();
        byte[] expected = new byte[pages * t];
        Random random = new Random(3);
        for (int page = 0; page < pages; page++) {
            boolean tag = page < 62 || (page >= 64 && page < 130 && page != 100) || page == 140;
            if (tag) {
                ByteBuffer one = randomTags(ps, 1, random.nextLong());
                assertEquals(ps.bytes(), vm.copyMteTags(BASE + (long) page * ps.bytes(), ps.bytes(), one,
                        KVM_ARM_TAGS_TO_GUEST, 0, 0));
                System.arraycopy(masked(one.array()), 0, expected, page * t, t);
            }
            assertEquals(tag, memory.isTagged((long) page * ps.bytes()), "page " + page);
        }
        ByteBuffer read = tagBuffer(ps, pages);
        for (int i = 0; i < read.capacity(); i++) {
            read.put(i, (byte) 0x5A);
        }
        assertEquals((long) pages * ps.bytes(), vm.copyMteTags(BASE, (long) pages * ps.bytes(), read,
                KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertArrayEquals(expected, bytes(read));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldTagEveryPageOfAToGuestRunOverTaggedAndUntaggedPages(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        int pages = 130;
        HostMemory memory = vms.addSlot(vm, 0, BASE, pages, 0);
        for (int page : new int[] {0, 5, 63, 64, 65, 129}) {
            vm.copyMteTags(BASE + (long) page * ps.bytes(), ps.bytes(), randomTags(ps, 1, page), KVM_ARM_TAGS_TO_GUEST,
                    0, 0);
        }
        // Runs longer than one masking block (8 KiB of tags) at every page size.
        ByteBuffer written = randomTags(ps, pages - 1, 11);
        assertEquals((pages - 1L) * ps.bytes(), vm.copyMteTags(BASE + ps.bytes(), (pages - 1L) * ps.bytes(), written,
                KVM_ARM_TAGS_TO_GUEST, 0, 0));
        for (int page = 0; page < pages; page++) {
            assertTrue(memory.isTagged((long) page * ps.bytes()), "page " + page);
        }
        ByteBuffer read = tagBuffer(ps, pages - 1);
        vm.copyMteTags(BASE + ps.bytes(), (pages - 1L) * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertArrayEquals(masked(written.array()), bytes(read));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldDropUpperNibblesAnywhereInAPage(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        vms.addSlot(vm, 0, BASE, 3, 0);
        ByteBuffer written = tagBuffer(ps, 3);
        int t = ps.tagsPerPage();
        for (int i = 0; i < written.capacity(); i++) {
            written.put(i, (byte) (i % 16));
        }
        // Unaligned bytes in the middle of a page and at the ends of pages and of the buffer.
        int[] dirty = {t / 2 + 3, t + 1, 2 * t - 1, 2 * t, 2 * t + t / 2 + 5, 3 * t - 1};
        for (int i : dirty) {
            written.put(i, (byte) (0xA0 | (i % 16)));
        }
        vm.copyMteTags(BASE, 3L * ps.bytes(), written, KVM_ARM_TAGS_TO_GUEST, 0, 0);
        ByteBuffer read = tagBuffer(ps, 3);
        vm.copyMteTags(BASE, 3L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        for (int i = 0; i < read.capacity(); i++) {
            assertEquals(i % 16, read.get(i), "tag " + i);
        }
    }

    @Test
    void shouldCopyARunAcrossAOneGibChunkOfTagStorage() {
        PageSize ps = PageSize.SIZE_64K;
        KvmVm vm = vms.mteVm(ps);
        // The slot starts one page into its memory, so the chunk boundary falls on an odd page of the slot.
        long slotBytes = HostMemory.CHUNK_SIZE + 4L * ps.bytes();
        HostMemory memory = vms.memory(slotBytes + ps.bytes(), ps);
        vm.setUserMemoryRegion(new UserMemoryRegion(0, 0, BASE, slotBytes, memory, ps.bytes()));
        long firstIpa = BASE + HostMemory.CHUNK_SIZE - 3L * ps.bytes();
        int pages = 6;
        ByteBuffer written = randomTags(ps, pages, 5);
        assertEquals((long) pages * ps.bytes(), vm.copyMteTags(firstIpa, (long) pages * ps.bytes(), written,
                KVM_ARM_TAGS_TO_GUEST, 0, 0));
        byte[] expected = masked(written.array());
        long firstOffset = HostMemory.CHUNK_SIZE - 2L * ps.bytes();
        for (int granule = 0; granule < expected.length; granule++) {
            assertEquals(expected[granule], memory.tag(firstOffset + 16L * granule), "granule " + granule);
        }
        ByteBuffer read = tagBuffer(ps, pages);
        assertEquals((long) pages * ps.bytes(), vm.copyMteTags(firstIpa, (long) pages * ps.bytes(), read,
                KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertArrayEquals(expected, bytes(read));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldSplitARunAtTheEndOfAMemslot(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        HostMemory first = vms.addSlot(vm, 0, BASE, 3, 0);
        HostMemory second = vms.addSlot(vm, 1, BASE + 3L * ps.bytes(), 2, 0);
        ByteBuffer written = randomTags(ps, 5, 9);
        assertEquals(5L * ps.bytes(), vm.copyMteTags(BASE, 5L * ps.bytes(), written, KVM_ARM_TAGS_TO_GUEST, 0, 0));
        byte[] expected = masked(written.array());
        int t = ps.tagsPerPage();
        for (int granule = 0; granule < 5 * t; granule++) {
            HostMemory memory = granule < 3 * t ? first : second;
            long offset = 16L * (granule < 3 * t ? granule : granule - 3 * t);
            assertEquals(expected[granule], memory.tag(offset), "granule " + granule);
        }
        ByteBuffer read = tagBuffer(ps, 5);
        vm.copyMteTags(BASE, 5L * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        assertArrayEquals(expected, bytes(read));
    }

    @ParameterizedTest
    @EnumSource(PageSize.class)
    void shouldStopALongRunWhereTheTagBufferEnds(PageSize ps) {
        KvmVm vm = vms.mteVm(ps);
        int pages = 100;
        HostMemory memory = vms.addSlot(vm, 0, BASE, pages, 0);
        int t = ps.tagsPerPage();
        ByteBuffer written = randomTags(ps, pages, 13).limit(70 * t + t / 2);
        assertEquals(70L * ps.bytes(), vm.copyMteTags(BASE, (long) pages * ps.bytes(), written, KVM_ARM_TAGS_TO_GUEST,
                0, 0));
        assertTrue(memory.isTagged(70L * ps.bytes()), "the page the buffer ended in is tagged, with cleared tags");
        assertFalse(memory.isTagged(71L * ps.bytes()), "the pages after it are untouched");
        ByteBuffer read = tagBuffer(ps, pages);
        vm.copyMteTags(BASE, (long) pages * ps.bytes(), read, KVM_ARM_TAGS_FROM_GUEST, 0, 0);
        byte[] expected = new byte[pages * t];
        System.arraycopy(masked(written.array()), 0, expected, 0, 70 * t);
        assertArrayEquals(expected, bytes(read));
        // FROM_GUEST into a buffer that ends inside page 70 fills what fits, then stops there.
        ByteBuffer shortRead = tagBuffer(ps, pages).limit(70 * t + 5);
        assertEquals(70L * ps.bytes(), vm.copyMteTags(BASE, (long) pages * ps.bytes(), shortRead,
                KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        byte[] expectedShort = new byte[70 * t + 5];
        System.arraycopy(expected, 0, expectedShort, 0, expectedShort.length);
        assertArrayEquals(expectedShort, bytes(shortRead));
    }

    @Test
    void shouldMarkAndCountTaggedPagesAcrossBitmapWords() {
        PageSize ps = PageSize.SIZE_4K;
        HostMemory memory = vms.memory(300L * ps.bytes(), ps);
        memory.markTagged(60L * ps.bytes(), 140); // pages 60..199: the end of word 0, all of word 1, part of word 2
        memory.markTagged(250L * ps.bytes());
        for (int page = 0; page < 300; page++) {
            assertEquals(page >= 60 && page < 200 || page == 250, memory.isTagged((long) page * ps.bytes()), "page " + page);
        }
        assertEquals(60, memory.pagesInTagState(0, 300, false));
        assertEquals(0, memory.pagesInTagState(0, 300, true));
        assertEquals(140, memory.pagesInTagState(60L * ps.bytes(), 240, true));
        assertEquals(100, memory.pagesInTagState(100L * ps.bytes(), 200, true));
        assertEquals(7, memory.pagesInTagState(100L * ps.bytes(), 7, true));
        assertEquals(50, memory.pagesInTagState(200L * ps.bytes(), 100, false));
        assertEquals(49, memory.pagesInTagState(251L * ps.bytes(), 49, false));
    }
}
