package io.mtemigrate.vmsim.machine;

import io.mtemigrate.vmsim.MteSysRegs;
import io.mtemigrate.vmsim.VcpuState;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The emulator's vCPU snapshot: its registers as {@code KVM_GET_ONE_REG} would list them, little-endian 64-bit
 * values in a fixed order, the MTE system registers last and only on an MTE VM. A leading word names the format,
 * so a snapshot of another backend is refused instead of misread.
 */
public final class VcpuStateCodec {
    /** "emuA64v1" in little-endian bytes: the emulator's arm64 snapshot, version 1. */
    private static final long MAGIC = 0x3176_3436_4175_6D65L;
    private static final int BASE_WORDS = 1 + VcpuState.GENERAL_REGISTERS + 6;
    private static final int MTE_WORDS = 4;

    private VcpuStateCodec() {
    }

    public static VcpuSnapshot encode(int vcpuId, VcpuState state) {
        MteSysRegs mte = state.mte();
        ByteBuffer out = ByteBuffer.allocate(8 * (BASE_WORDS + (mte == null ? 0 : MTE_WORDS)))
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(MAGIC);
        for (long x : state.x()) {
            out.putLong(x);
        }
        out.putLong(state.sp()).putLong(state.pc()).putLong(state.pstate()).putLong(state.sctlrEl1())
                .putLong(state.steps()).putLong(state.tagCheckFaults());
        if (mte != null) {
            out.putLong(mte.gcrEl1()).putLong(mte.rgsrEl1()).putLong(mte.tfsrEl1()).putLong(mte.tfsre0El1());
        }
        return new VcpuSnapshot(vcpuId, out.array());
    }

    /** @throws IllegalArgumentException for a snapshot that is not the emulator's, or not whole */
    public static VcpuState decode(VcpuSnapshot snapshot) {
        byte[] bytes = snapshot.state();
        boolean mte = bytes.length == 8 * (BASE_WORDS + MTE_WORDS);
        if (bytes.length != 8 * BASE_WORDS && !mte) {
            throw new IllegalArgumentException("vCPU " + snapshot.vcpuId() + "'s state has " + bytes.length
                    + " bytes; the emulator's has " + 8 * BASE_WORDS + ", or " + 8 * (BASE_WORDS + MTE_WORDS)
                    + " with MTE");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (in.getLong() != MAGIC) {
                throw new IllegalArgumentException("vCPU " + snapshot.vcpuId()
                        + "'s state is not an emulator arm64 snapshot");
            }
            long[] x = new long[VcpuState.GENERAL_REGISTERS];
            for (int i = 0; i < x.length; i++) {
                x[i] = in.getLong();
            }
            long sp = in.getLong();
            long pc = in.getLong();
            long pstate = in.getLong();
            long sctlr = in.getLong();
            long steps = in.getLong();
            long faults = in.getLong();
            MteSysRegs regs = mte ? new MteSysRegs(in.getLong(), in.getLong(), in.getLong(), in.getLong()) : null;
            return new VcpuState(x, sp, pc, pstate, sctlr, steps, faults, regs);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("vCPU " + snapshot.vcpuId() + "'s state is cut short", e);
        }
    }
}
