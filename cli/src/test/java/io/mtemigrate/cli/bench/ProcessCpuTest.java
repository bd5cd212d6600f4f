package io.mtemigrate.cli.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ProcessCpuTest {
    @Test
    void shouldGiveCoreSecondsPerGigabyteOnceEnoughCpuWasMeasured() {
        assertEquals(0.75, ProcessCpu.secondsPerGB(750_000_000L, 1_000_000_000L), 1e-12);
        assertEquals("0.75", ProcessCpu.format(0.75));
        assertEquals("0.750", ProcessCpu.json(0.75));
    }

    @Test
    void shouldSayNotMeasuredBelowTheProcessClocksResolution() {
        double tooShort = ProcessCpu.secondsPerGB(10_000_000L, 1_000_000L);
        assertTrue(Double.isNaN(tooShort));
        assertEquals("-", ProcessCpu.format(tooShort));
        assertEquals("null", ProcessCpu.json(tooShort));
        assertTrue(Double.isNaN(ProcessCpu.secondsPerGB(1_000_000_000L, 0)));
    }

    @Test
    void shouldCountTheCpuTimeThisProcessSpends() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isCurrentThreadCpuTimeSupported(), "this JVM cannot measure a thread's CPU time");
        long before = ProcessCpu.nanos();
        long threadStart = threads.getCurrentThreadCpuTime();
        long sink = 0;
        // Spins until this thread itself has used 300 ms of CPU, however busy the machine is.
        while (threads.getCurrentThreadCpuTime() - threadStart < 300_000_000L) {
            sink += Long.numberOfTrailingZeros(sink + threadStart);
        }
        assertTrue(ProcessCpu.nanos() - before >= 280_000_000L, "300 ms of this thread's CPU counted (" + sink + ")");
    }
}
