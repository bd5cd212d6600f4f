package io.mtemigrate.vmkvm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the vCPU threads of one VM meet the VMM: pause requests, the throttle, stopping for good, and how many
 * vCPUs are still running. A vCPU thread only looks at it between two {@code KVM_RUN} calls (after each of the
 * guest's exits), so a pause takes effect at the guest's next exit; waiting for that blocks on a condition, never
 * spins.
 *
 * <p>{@code running} counts the vCPU threads that may be inside {@code KVM_RUN}: started, and neither parked,
 * halted, failed nor stopped. Once it is 0 with a pause requested, no vCPU touches guest state until
 * {@link #resumeAll()}, and every write the guest made is visible to the pauser (the threads' unlock of the gate
 * follows their return from {@code KVM_RUN}).
 */
final class RunGate {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final int vcpus;
    private volatile boolean pauseRequested;
    private volatile boolean stopRequested;
    private volatile int throttle;
    private boolean started;
    private boolean paused;
    private int running;
    private int ended;

    RunGate(int vcpus) {
        this.vcpus = vcpus;
    }

    /** Marks every vCPU running; false when they were started already. */
    boolean start() {
        lock.lock();
        try {
            if (started || stopRequested) {
                return false;
            }
            started = true;
            running = vcpus;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Cheap enough for every exit: whether the vCPU must leave its loop for {@link #park()}. */
    boolean mustPark() {
        return pauseRequested || stopRequested;
    }

    int throttle() {
        return throttle;
    }

    void setThrottle(int percent) {
        throttle = percent;
    }

    /**
     * Called by a vCPU thread whose state is consistent (no pending I/O): waits while a pause lasts.
     *
     * @return false when the VM is stopping and the thread must end
     */
    boolean park() {
        lock.lock();
        try {
            running--;
            changed.signalAll();
            while (pauseRequested && !stopRequested) {
                changed.awaitUninterruptibly();
            }
            if (stopRequested) {
                ended++;
                return false;
            }
            running++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A vCPU thread ends: its guest halted at its budget, or it failed. */
    void ended() {
        lock.lock();
        try {
            running--;
            ended++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Holds a vCPU thread for {@code nanos} (its throttled share of time), or less when a pause or stop comes.
     */
    void hold(long nanos) {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            long remaining;
            while (!pauseRequested && !stopRequested && (remaining = deadline - System.nanoTime()) > 0) {
                changed.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Returns once no vCPU runs: each parked at its next exit, or ended. */
    void pauseAll() {
        lock.lock();
        try {
            pauseRequested = true;
            changed.signalAll();
            while (running > 0) {
                changed.awaitUninterruptibly();
            }
            paused = true;
        } finally {
            lock.unlock();
        }
    }

    void resumeAll() {
        lock.lock();
        try {
            pauseRequested = false;
            paused = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean paused() {
        lock.lock();
        try {
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** True when no vCPU thread can be inside {@code KVM_RUN}: before start, or all parked or ended. */
    boolean quiescent() {
        lock.lock();
        try {
            return running == 0;
        } finally {
            lock.unlock();
        }
    }

    boolean started() {
        lock.lock();
        try {
            return started;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every vCPU thread has ended (halted or failed); false on timeout. */
    boolean awaitEnded(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        lock.lock();
        try {
            while (!started || ended < vcpus) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                changed.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Tells every vCPU thread to end at its next exit, and wakes the parked ones. */
    void stop() {
        lock.lock();
        try {
            stopRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
