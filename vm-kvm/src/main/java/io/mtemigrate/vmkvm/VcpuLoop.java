package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.ExitReasons;
import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.KvmRun;
import io.mtemigrate.vmkvm.sys.Libc;
import io.mtemigrate.vmkvm.sys.VcpuFd;
import io.mtemigrate.vmkvm.x86.RandomWritesGuest;
import io.mtemigrate.vmkvm.x86.X86Regs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongToIntFunction;

/**
 * One vCPU's thread: {@code KVM_RUN} in a loop. The guest leaves it in two expected ways: {@code KVM_EXIT_IO} on
 * {@link RandomWritesGuest#EXIT_PORT} every N steps, where the VMM may pause or throttle it, and
 * {@code KVM_EXIT_HLT} at its budget, which ends the thread. Anything else stops this vCPU with a
 * {@link VcpuExitException} (or a {@link GuestMemoryFaultException}); the others run on.
 *
 * <p>An I/O exit leaves the {@code out} incomplete inside KVM until the next {@code KVM_RUN}: per the KVM API
 * documentation the guest state is consistent only after userspace re-entered the kernel. So before it parks, the
 * thread re-enters once with {@code kvm_run.immediate_exit} set, which completes the I/O and returns
 * {@code EINTR} without running a single guest instruction (as the kernel's own state selftest does).
 */
final class VcpuLoop implements Runnable {
    /** Throttling lets the guest run this long between holds (the guest's exits may come more often). */
    private static final long THROTTLE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final VcpuFd vcpu;
    private final RunGate gate;
    private final Consumer<Throwable> failures;
    /** The id of the memslot that maps a guest physical address, or -1. */
    private final LongToIntFunction slotOf;
    private volatile long exits;

    VcpuLoop(VcpuFd vcpu, RunGate gate, Consumer<Throwable> failures, LongToIntFunction slotOf) {
        this.vcpu = vcpu;
        this.gate = gate;
        this.failures = failures;
        this.slotOf = slotOf;
    }

    /** How many times the guest left to the VMM at {@link RandomWritesGuest#EXIT_PORT}. */
    long exits() {
        return exits;
    }

    @Override
    public void run() {
        try {
            if (loop()) {
                return;
            }
        } catch (Throwable t) {
            failures.accept(t);
        }
        gate.ended();
    }

    /** True when the VM stopped the thread (the gate counted it then), false when the guest halted. */
    private boolean loop() {
        KvmRun run = vcpu.kvmRun();
        boolean ioPending = false;
        long sliceStart = System.nanoTime();
        while (true) {
            if (gate.mustPark()) {
                if (ioPending) {
                    completeIo(run);
                    ioPending = false;
                }
                if (!gate.park()) {
                    return true;
                }
                sliceStart = System.nanoTime();
            }
            int result = vcpu.run();
            if (result < 0) {
                if (-result == Libc.EINTR || -result == Libc.EAGAIN) {
                    // A signal meant for the process landed on this thread: the guest simply continues.
                    continue;
                }
                throw new KvmIoctlException(KvmIoctl.KVM_RUN, -result, "vCPU " + vcpu.id() + describeRip());
            }
            int reason = run.exitReason();
            if (reason == ExitReasons.KVM_EXIT_IO && run.ioPort() == RandomWritesGuest.EXIT_PORT
                    && run.ioDirection() == KvmRun.KVM_EXIT_IO_OUT) {
                ioPending = true;
                exits++;
                int percent = gate.throttle();
                if (percent > 0) {
                    sliceStart = throttle(sliceStart, percent);
                }
            } else if (reason == ExitReasons.KVM_EXIT_HLT) {
                return false;
            } else if (reason == ExitReasons.KVM_EXIT_MMIO && slotOf.applyAsInt(run.mmioPhysAddr()) >= 0) {
                throw new GuestMemoryFaultException(vcpu.id(), run.mmioPhysAddr(), slotOf.applyAsInt(run.mmioPhysAddr()),
                        run.mmioIsWrite());
            } else {
                throw new VcpuExitException(vcpu.id(), reason, run.describeExit() + describeRip());
            }
        }
    }

    /** Re-enters KVM with {@code immediate_exit}: the pending {@code out} completes, no guest instruction runs. */
    private void completeIo(KvmRun run) {
        run.setImmediateExit(true);
        int result;
        try {
            result = vcpu.run();
        } finally {
            run.setImmediateExit(false);
        }
        if (result != -Libc.EINTR) {
            throw result < 0
                    ? new KvmIoctlException(KvmIoctl.KVM_RUN, -result, "vCPU " + vcpu.id()
                            + ", completing its I/O with immediate_exit")
                    : new IllegalStateException("KVM_RUN with immediate_exit set ran vCPU " + vcpu.id()
                            + " to " + ExitReasons.name(run.exitReason()) + " instead of returning EINTR");
        }
    }

    /** Holds the thread for the throttled share of the time the guest ran since the slice began. */
    private long throttle(long sliceStart, int percent) {
        long ran = System.nanoTime() - sliceStart;
        if (ran < THROTTLE_SLICE_NANOS) {
            return sliceStart;
        }
        gate.hold(ran * percent / (100 - percent));
        return System.nanoTime();
    }

    /** ", rip 0x1027" for a message, read on this thread (which is out of KVM_RUN). */
    private String describeRip() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = arena.allocate(X86Regs.LAYOUT);
            vcpu.getRegs(regs);
            return ", rip 0x" + Long.toHexString(X86Regs.get(regs, X86Regs.RIP));
        } catch (RuntimeException e) {
            return "";
        }
    }
}
