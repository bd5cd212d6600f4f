package io.mtemigrate.vmkvm.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A vCPU's {@code struct kvm_run}, the page KVM shares with the VMM through {@code mmap} of the vCPU descriptor: read
 * after {@code KVM_RUN} returns, written before the next. Only the fields this backend uses:
 * <pre>
 *  0 request_interrupt_window u8 | 1 immediate_exit u8 | 2..7 padding
 *  8 exit_reason u32 | 12 ready_for_interrupt_injection u8 | 13 if_flag u8 | 14 flags u16
 * 16 cr8 u64 | 24 apic_base u64
 * 32 the exit's union:
 *    KVM_EXIT_IO             32 direction u8 (0 in, 1 out) | 33 size u8 | 34 port u16 | 36 count u32
 *                            40 data_offset u64, from the start of this mapping
 *    KVM_EXIT_UNKNOWN        32 hardware_exit_reason u64
 *    KVM_EXIT_FAIL_ENTRY     32 hardware_entry_failure_reason u64 | 40 cpu u32
 *    KVM_EXIT_EXCEPTION      32 exception u32 | 36 error_code u32
 *    KVM_EXIT_MMIO           32 phys_addr u64 | 40 data[8] | 48 len u32 | 52 is_write u8
 *    KVM_EXIT_INTERNAL_ERROR 32 suberror u32 | 36 ndata u32 | 40 data[ndata] u64
 * </pre>
 */
public final class KvmRun {
    static final long IMMEDIATE_EXIT = 1;
    static final long EXIT_REASON = 8;
    private static final long UNION = 32;
    public static final int KVM_EXIT_IO_OUT = 1;

    private final MemorySegment run;

    KvmRun(MemorySegment run) {
        this.run = run;
    }

    public int exitReason() {
        return run.get(ValueLayout.JAVA_INT, EXIT_REASON);
    }

    /** Polled once at the start of {@code KVM_RUN}: when set, it completes pending I/O and returns EINTR. */
    public void setImmediateExit(boolean on) {
        run.set(ValueLayout.JAVA_BYTE, IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
    }

    public int ioDirection() {
        return Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, UNION));
    }

    public int ioSize() {
        return Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, UNION + 1));
    }

    public int ioPort() {
        return Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT, UNION + 2));
    }

    public int ioCount() {
        return run.get(ValueLayout.JAVA_INT, UNION + 4);
    }

    /** {@code KVM_EXIT_MMIO}: the guest physical address of the access. */
    public long mmioPhysAddr() {
        return u64(0);
    }

    public boolean mmioIsWrite() {
        return run.get(ValueLayout.JAVA_BYTE, UNION + 20) != 0;
    }

    /** What the exit says beyond its reason, for a message: the port, the address, the hardware's code. */
    public String describeExit() {
        int reason = exitReason();
        return switch (reason) {
            case ExitReasons.KVM_EXIT_IO -> (ioDirection() == KVM_EXIT_IO_OUT ? "out to" : "in from") + " port 0x"
                    + Integer.toHexString(ioPort()) + ", " + ioSize() + " bytes x " + ioCount();
            case ExitReasons.KVM_EXIT_UNKNOWN -> "hardware exit reason 0x" + Long.toHexString(u64(0));
            case ExitReasons.KVM_EXIT_FAIL_ENTRY -> "hardware entry failure reason 0x" + Long.toHexString(u64(0))
                    + " on host cpu " + run.get(ValueLayout.JAVA_INT, UNION + 8);
            case ExitReasons.KVM_EXIT_EXCEPTION -> "exception " + run.get(ValueLayout.JAVA_INT, UNION)
                    + ", error code " + run.get(ValueLayout.JAVA_INT, UNION + 4);
            case ExitReasons.KVM_EXIT_MMIO -> (mmioIsWrite() ? "write to" : "read of") + " guest physical 0x"
                    + Long.toHexString(mmioPhysAddr()) + ", " + run.get(ValueLayout.JAVA_INT, UNION + 16)
                    + " bytes, where KVM has no memory it can map";
            case ExitReasons.KVM_EXIT_INTERNAL_ERROR -> "suberror " + run.get(ValueLayout.JAVA_INT, UNION)
                    + " (1 emulation failed, 2 simultaneous exceptions, 3 exit during event delivery, 4 unexpected"
                    + " exit reason)";
            default -> "no details";
        };
    }

    private long u64(long offset) {
        return run.get(ValueLayout.JAVA_LONG, UNION + offset);
    }
}
