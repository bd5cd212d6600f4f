package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.HostMemory;

import java.util.Arrays;

/**
 * What a step overwrote, so that a step stopped by a missing page can be taken back whole: the vCPU then waits
 * between two steps, where it can be paused and its registers saved, and re-runs the step from its start once the
 * page is in. Only kept while the VM has a userfaultfd; vCPUs never share writable memory, so putting a vCPU's own
 * old values back cannot undo another's stores.
 */
final class StepUndo {
    private HostMemory[] memories = new HostMemory[256];
    private long[] offsets = new long[256];
    private long[] values = new long[256];
    private boolean[] tags = new boolean[256];
    private int count;

    void clear() {
        Arrays.fill(memories, 0, count, null);
        count = 0;
    }

    void data(HostMemory memory, long offset) {
        add(memory, offset, memory.getLong(offset), false);
    }

    void tag(HostMemory memory, long offset) {
        add(memory, offset, memory.tag(offset), true);
    }

    private void add(HostMemory memory, long offset, long value, boolean tag) {
        if (count == memories.length) {
            int size = count * 2;
            memories = Arrays.copyOf(memories, size);
            offsets = Arrays.copyOf(offsets, size);
            values = Arrays.copyOf(values, size);
            tags = Arrays.copyOf(tags, size);
        }
        memories[count] = memory;
        offsets[count] = offset;
        values[count] = value;
        tags[count] = tag;
        count++;
    }

    /** Puts the old values back, newest first, so a location stored twice ends as it was before the first store. */
    void undo() {
        for (int i = count - 1; i >= 0; i--) {
            if (tags[i]) {
                memories[i].setTag(offsets[i], (int) values[i]);
            } else {
                memories[i].putLong(offsets[i], values[i]);
            }
        }
        clear();
    }
}
