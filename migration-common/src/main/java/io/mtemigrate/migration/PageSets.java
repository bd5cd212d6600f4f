package io.mtemigrate.migration;

import io.mtemigrate.proto.ControlMessage;
import io.mtemigrate.proto.PageSet;
import io.mtemigrate.vmsim.machine.MachineLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-slot page bitmaps (bit p of word w is page 64 * w + p) as PageSet messages and back: how post-copy tells the
 * other side which pages are still to come. Long bitmaps go in parts that stay far below the control frame limit.
 */
public final class PageSets {
    /** 256 KiB of bitmap per message: 8 GiB of 4 KiB pages. */
    static final int WORDS_PER_MESSAGE = 32_768;

    private PageSets() {
    }

    /** The messages that carry every non-zero part of {@code bitmaps}. */
    public static List<ControlMessage> messages(long[][] bitmaps) {
        List<ControlMessage> messages = new ArrayList<>();
        for (int slot = 0; slot < bitmaps.length; slot++) {
            long[] words = bitmaps[slot];
            for (int first = 0; first < words.length; first += WORDS_PER_MESSAGE) {
                int end = Math.min(words.length, first + WORDS_PER_MESSAGE);
                boolean any = false;
                for (int w = first; w < end && !any; w++) {
                    any = words[w] != 0;
                }
                if (!any) {
                    continue;
                }
                PageSet.Builder set = PageSet.newBuilder().setSlotIndex(slot).setFirstWord(first);
                for (int w = first; w < end; w++) {
                    set.addWords(words[w]);
                }
                messages.add(ControlMessage.newBuilder().setPageSet(set).build());
            }
        }
        return messages;
    }

    /**
     * ORs the set's words into {@code bitmaps}.
     *
     * @throws IllegalArgumentException naming what does not fit the layout: a slot or pages it does not have
     */
    public static void add(long[][] bitmaps, PageSet set, long[] slotPages) {
        if (set.getSlotIndex() >= bitmaps.length) {
            throw new IllegalArgumentException("a page set for slot " + set.getSlotIndex() + " of a layout with "
                    + bitmaps.length);
        }
        long[] words = bitmaps[set.getSlotIndex()];
        long first = set.getFirstWord();
        if (first < 0 || first + set.getWordsCount() > words.length) {
            throw new IllegalArgumentException("a page set of words " + first + ".." + (first + set.getWordsCount())
                    + " for slot " + set.getSlotIndex() + ", which has " + words.length);
        }
        long pages = slotPages[set.getSlotIndex()];
        for (int i = 0; i < set.getWordsCount(); i++) {
            long word = set.getWords(i);
            // Only the last word can reach past the slot's end.
            long valid = pages - ((first + i) << 6);
            if (valid < 64 && word >>> valid != 0) {
                throw new IllegalArgumentException("a page set names pages beyond slot " + set.getSlotIndex()
                        + "'s " + pages);
            }
            words[(int) (first + i)] |= word;
        }
    }

    /** Pages per slot of the layout, in its order. */
    public static long[] pagesPerSlot(MachineLayout layout) {
        int pageSize = layout.pageSize().bytes();
        return layout.slots().stream().mapToLong(slot -> slot.size() / pageSize).toArray();
    }

    /** Empty bitmaps, one per slot of {@code slotPages} pages. */
    public static long[][] empty(long[] slotPages) {
        long[][] bitmaps = new long[slotPages.length][];
        for (int s = 0; s < slotPages.length; s++) {
            bitmaps[s] = new long[Math.toIntExact((slotPages[s] + 63) >>> 6)];
        }
        return bitmaps;
    }

    public static long count(long[][] bitmaps) {
        long pages = 0;
        for (long[] words : bitmaps) {
            for (long word : words) {
                pages += Long.bitCount(word);
            }
        }
        return pages;
    }
}
