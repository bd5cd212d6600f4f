package io.mtemigrate.incoming;

import io.mtemigrate.proto.PostcopyFaults;
import io.mtemigrate.vmsim.vmm.MissingPage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The vCPUs waiting for a page during post-copy, and how long each waited: from the fault's read to its page's
 * install, by whichever path the page came. One waiting page per vCPU (a waiting vCPU takes no other fault), so the
 * arrays are indexed by vCPU and nothing is allocated per fault but the latency log's growth.
 */
final class FaultTracker {
    private static final long NONE = -1;

    private final int[] slot;
    private final long[] page;
    private final long[] since;
    private long[] latencies = new long[1024];
    private int latencyCount;
    private long faults;
    private long requests;

    FaultTracker(int vcpus) {
        slot = new int[vcpus];
        page = new long[vcpus];
        since = new long[vcpus];
        Arrays.fill(since, NONE);
    }

    /**
     * A vCPU waits for a page. True when the page must be asked for: it is not installed yet ({@code present} is read
     * under this lock, after the installer set it, so a page installed meanwhile is never asked for in vain) and no
     * other vCPU asked for it already.
     */
    synchronized boolean faulted(MissingPage fault, boolean present, long now) {
        faults++;
        int vcpu = fault.vcpuId();
        if (present) {
            record(0);
            return false;
        }
        boolean asked = false;
        for (int v = 0; v < since.length; v++) {
            asked |= since[v] != NONE && slot[v] == fault.slotIndex() && page[v] == fault.page();
        }
        slot[vcpu] = fault.slotIndex();
        page[vcpu] = fault.page();
        since[vcpu] = now;
        if (!asked) {
            requests++;
        }
        return !asked;
    }

    /** Pages {@code [first, first + count)} of the slot were installed: the vCPUs waiting on them run again. */
    synchronized void installed(int slotIndex, long first, int count, long now) {
        for (int v = 0; v < since.length; v++) {
            if (since[v] != NONE && slot[v] == slotIndex && page[v] - first >= 0 && page[v] - first < count) {
                record(now - since[v]);
                since[v] = NONE;
            }
        }
    }

    /** The pages vCPUs wait for now, once each: what a reconnected source must be asked for again. */
    synchronized List<MissingPage> waiting() {
        List<MissingPage> pages = new ArrayList<>();
        for (int v = 0; v < since.length; v++) {
            int vcpu = v;
            if (since[v] != NONE && pages.stream().noneMatch(p -> p.slotIndex() == slot[vcpu] && p.page() == page[vcpu])) {
                pages.add(new MissingPage(slot[v], page[v], v, false));
            }
        }
        return pages;
    }

    private void record(long nanos) {
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencies.length * 2);
        }
        latencies[latencyCount++] = nanos;
    }

    synchronized PostcopyFaults summary(long pagesInstalled) {
        long[] sorted = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(sorted);
        return PostcopyFaults.newBuilder().setFaults(faults).setRequests(requests)
                .setLatencyP50Us(percentile(sorted, 50) / 1000).setLatencyP99Us(percentile(sorted, 99) / 1000)
                .setLatencyMaxUs(sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000)
                .setPagesInstalled(pagesInstalled).build();
    }

    /** Nearest-rank percentile; 0 without samples. */
    static long percentile(long[] sorted, int percent) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
