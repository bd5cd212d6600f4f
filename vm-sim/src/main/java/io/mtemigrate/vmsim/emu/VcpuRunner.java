package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.guest.GuestProgram;
import io.mtemigrate.vmsim.guest.ProgramRegisters;
import io.mtemigrate.vmsim.uffd.FaultWait;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import java.util.function.LongFunction;

/**
 * The thread of one vCPU: runs its guest program step by step, honours pause requests between steps, paces the
 * guest to the dirty rate its program asks for (register X27), and applies the VM's auto-converge throttle.
 *
 * <p>A step that meets a page missing from a userfaultfd is taken back, and the thread waits for the page between
 * steps. A pause or stop request ends that wait without the page, as a signal ends KVM's interruptible wait in
 * {@code handle_userfault}: the vCPU is then paused like any other, and faults again when it runs on.
 */
final class VcpuRunner implements Runnable {
    /** Throttling runs the guest for this long, then holds it for the throttled share of the next period. */
    private static final long THROTTLE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Pacing never lets a guest that fell behind burst for longer than this to catch up. */
    private static final long MAX_PACING_DEBT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Parking for less than this costs more than it saves. */
    private static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** A program that writes nothing steps like a timer tick, so an idle guest does not spin a host core. */
    private static final long IDLE_STEP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final GuestCpu cpu;
    private final IntSupplier throttle;
    private final int vcpuId;
    private final LongFunction<GuestProgram> programs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean pauseRequested;
    private volatile boolean stopRequested;
    private boolean paused;
    private boolean halted;
    private boolean finished;
    private volatile Throwable failure;
    private Thread thread;

    VcpuRunner(GuestCpu cpu, IntSupplier throttle, int vcpuId, LongFunction<GuestProgram> programs) {
        this.cpu = cpu;
        this.throttle = throttle;
        this.vcpuId = vcpuId;
        this.programs = programs;
    }

    void start(String name) {
        thread = Thread.ofPlatform().name(name).daemon().start(this);
    }

    boolean started() {
        return thread != null;
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (Throwable t) {
            failure = t;
        } finally {
            lock.lock();
            try {
                finished = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void loop() {
        long nextStepAt = System.nanoTime();
        long sliceStart = nextStepAt;
        GuestProgram program = null;
        long programPc = -1;
        while (true) {
            if (pauseRequested || stopRequested || budgetReached()) {
                if (!waitWhileStopped()) {
                    return;
                }
                nextStepAt = System.nanoTime();
                sliceStart = nextStepAt;
            }
            long programId = cpu.pc >>> 32;
            if (program == null || programId != programPc) {
                program = programs.apply(cpu.pc);
                programPc = programId;
            }
            cpu.beginStep();
            MissingPageFault missing = null;
            try {
                program.step(cpu);
                cpu.steps++;
            } catch (MissingPageFault fault) {
                cpu.rollBack();
                missing = fault;
            } finally {
                // Stores a failing step already made must still be logged.
                cpu.endStep();
            }
            if (missing != null) {
                awaitPage(missing);
                nextStepAt = System.nanoTime();
                sliceStart = nextStepAt;
                continue;
            }

            long pace = cpu.x[ProgramRegisters.PACE_BYTES_PER_SECOND];
            int bytes = program.bytesPerStep();
            long interval = bytes == 0 ? IDLE_STEP_NANOS : pace <= 0 ? 0 : bytes * 1_000_000_000L / pace;
            if (interval > 0) {
                nextStepAt += interval;
                long now = System.nanoTime();
                if (nextStepAt < now - MAX_PACING_DEBT_NANOS) {
                    nextStepAt = now - MAX_PACING_DEBT_NANOS;
                }
                if (nextStepAt - now > MIN_PARK_NANOS) {
                    parkUntil(nextStepAt);
                }
            }
            int percent = throttle.getAsInt();
            if (percent > 0) {
                long now = System.nanoTime();
                long ran = now - sliceStart;
                if (ran >= THROTTLE_SLICE_NANOS) {
                    parkUntil(now + ran * percent / (100 - percent));
                    sliceStart = System.nanoTime();
                    nextStepAt = Math.max(nextStepAt, sliceStart);
                }
            }
        }
    }

    /** Waits until the page is installed and this vCPU woken, or a pause or stop request comes first. */
    private void awaitPage(MissingPageFault fault) {
        FaultWait wait = fault.gate.block(fault.memory, fault.pageOffset, fault.pageIpa, vcpuId, fault.write,
                Thread.currentThread());
        if (wait == null) {
            return;
        }
        while (!wait.woken() && !pauseRequested && !stopRequested) {
            LockSupport.park(this);
        }
        if (!wait.woken()) {
            fault.gate.abandon(wait);
        }
    }

    private boolean budgetReached() {
        long budget = cpu.x[ProgramRegisters.STEP_BUDGET];
        return budget > 0 && cpu.steps >= budget;
    }

    /** Parks until the deadline, waking early for a pause or stop request. */
    private void parkUntil(long deadline) {
        long remaining;
        while (!pauseRequested && !stopRequested && (remaining = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, remaining);
        }
    }

    /** Holds the thread while it is paused or halted; false when it must end. */
    private boolean waitWhileStopped() {
        lock.lock();
        try {
            while (!stopRequested && (pauseRequested || budgetReached())) {
                paused = pauseRequested;
                halted = budgetReached();
                changed.signalAll();
                changed.awaitUninterruptibly();
            }
            paused = false;
            halted = false;
            return !stopRequested;
        } finally {
            lock.unlock();
        }
    }

    void requestPause() {
        pauseRequested = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Waits until the vCPU stands between two steps (paused, halted, finished or never started). */
    void awaitStopped() {
        lock.lock();
        try {
            while (thread != null && !paused && !halted && !finished) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    void resume() {
        lock.lock();
        try {
            pauseRequested = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean pauseRequested() {
        return pauseRequested;
    }

    boolean awaitHalted(long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!(halted || finished || (thread == null && budgetReached()))) {
                long remaining = deadlineNanos - System.nanoTime();
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

    void stop() {
        lock.lock();
        try {
            stopRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
