package io.mtemigrate.vmsim;

import java.util.Arrays;
import java.util.Objects;

/**
 * The complete register state of a vCPU, as a VMM saves it with {@code KVM_GET_ONE_REG} for every entry of
 * {@code KVM_GET_REG_LIST} and restores it on the other side.
 *
 * @param x              X0..X30
 * @param sp             SP_EL0, the stack pointer the guest program uses
 * @param pc             PC: which guest program runs (high 32 bits) and where it is in it (low 32 bits)
 * @param pstate         PSTATE (TCO is bit 25)
 * @param sctlrEl1       SCTLR_EL1: TCF0 in bits [39:38] selects synchronous (01) or asynchronous (10) tag checks at EL0
 * @param steps          steps the guest program has executed (an emulator counter, like a PMU cycle count)
 * @param tagCheckFaults synchronous tag-check faults the guest has taken (its kernel's count of SEGV_MTESERR)
 * @param mte            the MTE system registers, or {@code null} on a VM without MTE
 */
public record VcpuState(long[] x, long sp, long pc, long pstate, long sctlrEl1, long steps, long tagCheckFaults,
                        MteSysRegs mte) {
    public static final int GENERAL_REGISTERS = 31;
    public static final long PSTATE_TCO = 1L << 25;
    public static final int SCTLR_TCF0_SHIFT = 38;
    public static final long TCF_SYNC = 1;
    public static final long TCF_ASYNC = 2;

    public VcpuState {
        Objects.requireNonNull(x, "x");
        if (x.length != GENERAL_REGISTERS) {
            throw new IllegalArgumentException("a vCPU has 31 general registers, not " + x.length);
        }
        x = x.clone();
    }

    @Override
    public long[] x() {
        return x.clone();
    }

    public long x(int index) {
        return x[index];
    }

    public long tcf0() {
        return (sctlrEl1 >>> SCTLR_TCF0_SHIFT) & 3;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VcpuState s && Arrays.equals(x, s.x) && sp == s.sp && pc == s.pc && pstate == s.pstate
                && sctlrEl1 == s.sctlrEl1 && steps == s.steps && tagCheckFaults == s.tagCheckFaults
                && Objects.equals(mte, s.mte);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(x), sp, pc, pstate, sctlrEl1, steps, tagCheckFaults, mte);
    }

    @Override
    public String toString() {
        return "VcpuState[pc=0x" + Long.toHexString(pc) + ", steps=" + steps + ", faults=" + tagCheckFaults
                + ", mte=" + mte + "]";
    }
}
