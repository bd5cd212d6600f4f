package io.mtemigrate.tagstream.frame;

/**
 * A batch's payload as runs of adjacent raw pages, and how far it has landed: the payload's bytes
 * go, in order, to the runs' pages in guest memory. Reused from batch to batch without allocating
 * once it has grown to the largest batch.
 */
final class PayloadRuns {
    private int[] firstPage = new int[16];
    private int[] pages = new int[16];
    private int count;
    private int current;
    private long landedInRun;

    /** Takes the runs of {@code batch}'s raw pages. */
    void of(PageBatch batch) {
        count = 0;
        current = 0;
        landedInRun = 0;
        int n = batch.pageCount();
        int i = 0;
        while (i < n) {
            if (!batch.isDataRaw(i)) {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < n && batch.isDataRaw(end)) {
                end++;
            }
            add(i, end - i);
            i = end;
        }
    }

    private void add(int first, int length) {
        if (count == firstPage.length) {
            firstPage = java.util.Arrays.copyOf(firstPage, count * 2);
            pages = java.util.Arrays.copyOf(pages, count * 2);
        }
        firstPage[count] = first;
        pages[count] = length;
        count++;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Where in the batch's memory the next payload byte goes. */
    long landingOffset(long pageSize) {
        return firstPage[current] * pageSize + landedInRun;
    }

    /** Bytes left in the current run: at most this much can land in one place. */
    long remaining(long pageSize) {
        return pages[current] * pageSize - landedInRun;
    }

    /** Records {@code n} landed bytes (at most {@link #remaining}); true once the whole payload is in. */
    boolean advance(long n, long pageSize) {
        landedInRun += n;
        if (landedInRun == pages[current] * pageSize) {
            current++;
            landedInRun = 0;
        }
        return current == count;
    }
}
