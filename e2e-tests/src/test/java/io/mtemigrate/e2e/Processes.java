package io.mtemigrate.e2e;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Ending the processes a test started, children first, so the next test finds their ports and namespaces free. */
final class Processes {
    private Processes() {
    }

    /** Kills every process and its descendants at once, then waits (10 s each at most) until they are gone. */
    static void killAll(List<Process> processes) {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        for (Process process : processes) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
