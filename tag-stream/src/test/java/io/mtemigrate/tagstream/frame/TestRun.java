package io.mtemigrate.tagstream.frame;

import io.mtemigrate.tagstream.PageSize;
import java.nio.ByteBuffer;
import java.util.Random;

/** A run of pages with every kind of content, as guest RAM and COPY_TAGS would hand it over. */
final class TestRun {

    final PageSize size;
    final int pages;
    final ByteBuffer ram;
    final ByteBuffer tags;
    final int ramOffset;
    final int tagsOffset;

    /** Page i: i%6 == 0 zero page, 1 zero data with tags, 2 random data, 3 text-like data, 4 random data zero tags, 5 uniform tags. */
    TestRun(PageSize size, int pages, long seed, boolean direct) {
        this.size = size;
        this.pages = pages;
        this.ramOffset = size.bytes(); // one page of something else in front
        this.tagsOffset = 5;
        Random random = new Random(seed);
        int ramBytes = ramOffset + pages * size.bytes() + size.bytes();
        int tagBytes = tagsOffset + pages * size.granules() + 3;
        ram = direct ? ByteBuffer.allocateDirect(ramBytes) : ByteBuffer.allocate(ramBytes);
        tags = direct ? ByteBuffer.allocateDirect(tagBytes) : ByteBuffer.allocate(tagBytes);
        for (int p = 0; p < pages; p++) {
            int base = ramOffset + p * size.bytes();
            int tagBase = tagsOffset + p * size.granules();
            switch (p % 6) {
                case 0 -> { }
                case 1 -> randomTags(random, tagBase);
                case 2 -> {
                    randomData(random, base);
                    randomTags(random, tagBase);
                }
                case 3 -> {
                    for (int i = 0; i < size.bytes(); i++) {
                        ram.put(base + i, (byte) ("guest page text " + p).charAt(i % 17));
                    }
                    for (int g = 0; g < size.granules(); g++) {
                        tags.put(tagBase + g, (byte) (1 + g / 64 % 15));
                    }
                }
                case 4 -> randomData(random, base);
                default -> {
                    randomData(random, base);
                    for (int g = 0; g < size.granules(); g++) {
                        tags.put(tagBase + g, (byte) 0x0B);
                    }
                }
            }
        }
    }

    private void randomData(Random random, int base) {
        for (int i = 0; i < size.bytes(); i++) {
            ram.put(base + i, (byte) random.nextInt());
        }
    }

    private void randomTags(Random random, int tagBase) {
        for (int g = 0; g < size.granules(); g++) {
            tags.put(tagBase + g, (byte) random.nextInt(16));
        }
    }

    boolean isZeroPage(int p) {
        return p % 6 == 0;
    }
}
