package io.mtemigrate.vmkvm.x86;

import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A KVM x86-64 vCPU's snapshot: the structs as {@code KVM_GET_REGS} and {@code KVM_GET_SREGS} return them, after a
 * header that names the format, so that the snapshot of another backend is refused instead of misread.
 * <pre>
 *  0        8        12       16                    160                    472
 *  +--------+--------+--------+---------------------+----------------------+
 *  | magic  | format | reserv | struct kvm_regs     | struct kvm_sregs     |
 *  | u64    | u32 =1 | u32 =0 | 144 bytes           | 312 bytes            |
 *  +--------+--------+--------+---------------------+----------------------+
 * </pre>
 * All little-endian (the structs are x86's own byte order). The magic is the ASCII of {@code "kvmX8664"}. That is
 * the whole state the guest program depends on: it uses no FPU, SSE or MSR, takes no interrupt and reads no
 * timer. A guest that did would need a format 2 with {@code KVM_GET_FPU}/{@code XSAVE}, MSRs, vCPU events, the
 * MP state and the LAPIC.
 */
public final class X86VcpuCodec {
    /** {@code "kvmX8664"} read as a little-endian u64. */
    static final long MAGIC = ByteBuffer.wrap("kvmX8664".getBytes(StandardCharsets.US_ASCII))
            .order(ByteOrder.LITTLE_ENDIAN).getLong();
    public static final int FORMAT = 1;
    private static final int HEADER_BYTES = 16;
    private static final int REGS_BYTES = (int) X86Regs.LAYOUT.byteSize();
    private static final int SREGS_BYTES = (int) X86Sregs.LAYOUT.byteSize();
    public static final int SNAPSHOT_BYTES = HEADER_BYTES + REGS_BYTES + SREGS_BYTES;

    private X86VcpuCodec() {
    }

    public static VcpuSnapshot encode(int vcpuId, MemorySegment regs, MemorySegment sregs) {
        byte[] state = new byte[SNAPSHOT_BYTES];
        MemorySegment out = MemorySegment.ofArray(state);
        out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, MAGIC);
        out.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8, FORMAT);
        MemorySegment.copy(regs, 0, out, HEADER_BYTES, REGS_BYTES);
        MemorySegment.copy(sregs, 0, out, HEADER_BYTES + REGS_BYTES, SREGS_BYTES);
        return new VcpuSnapshot(vcpuId, state);
    }

    /**
     * Fills {@code regs} and {@code sregs} from a snapshot.
     *
     * @throws IllegalArgumentException for a snapshot of another backend or format, cut short or too long
     */
    public static void decode(VcpuSnapshot snapshot, MemorySegment regs, MemorySegment sregs) {
        byte[] state = snapshot.state();
        String vcpu = "vCPU " + snapshot.vcpuId() + "'s state";
        if (state.length < HEADER_BYTES) {
            throw new IllegalArgumentException(vcpu + " has " + state.length + " bytes, too few for a KVM x86-64"
                    + " snapshot (" + SNAPSHOT_BYTES + ")");
        }
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        long magic = in.getLong(0);
        if (magic != MAGIC) {
            throw new IllegalArgumentException(vcpu + " is not a KVM x86-64 snapshot: it starts with \""
                    + printable(state) + "\", not \"kvmX8664\" (a guest moves only between VMs of the same kind)");
        }
        int format = in.getInt(8);
        if (format != FORMAT) {
            throw new IllegalArgumentException(vcpu + " is in KVM x86-64 snapshot format " + format
                    + "; this build reads format " + FORMAT);
        }
        if (in.getInt(12) != 0) {
            throw new IllegalArgumentException(vcpu + " has reserved header bytes that are not zero");
        }
        if (state.length != SNAPSHOT_BYTES) {
            throw new IllegalArgumentException(vcpu + " has " + state.length + " bytes; format " + FORMAT + " has "
                    + SNAPSHOT_BYTES);
        }
        MemorySegment from = MemorySegment.ofArray(state);
        MemorySegment.copy(from, HEADER_BYTES, regs, 0, REGS_BYTES);
        MemorySegment.copy(from, HEADER_BYTES + REGS_BYTES, sregs, 0, SREGS_BYTES);
    }

    /** One register of a snapshot, e.g. {@link X86Regs#RIP}, without a vCPU. */
    public static long register(VcpuSnapshot snapshot, long register) {
        return ByteBuffer.wrap(snapshot.state()).order(ByteOrder.LITTLE_ENDIAN).getLong(HEADER_BYTES + (int) register);
    }

    /** The same snapshot with one register changed: for tools and tests that steer a guest. */
    public static VcpuSnapshot withRegister(VcpuSnapshot snapshot, long register, long value) {
        byte[] state = snapshot.state();
        ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).putLong(HEADER_BYTES + (int) register, value);
        return new VcpuSnapshot(snapshot.vcpuId(), state);
    }

    private static String printable(byte[] state) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            int c = state[i] & 0xFF;
            text.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
        }
        return text.toString();
    }
}
