package io.mtemigrate.vmkvm.x86;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct kvm_regs} of x86-64 ({@code KVM_GET_REGS}/{@code KVM_SET_REGS}), 144 bytes: 18 little-endian u64
 * in the order below. A 32-bit guest's registers are the low halves.
 * <pre>
 *   0 rax   8 rbx  16 rcx  24 rdx  32 rsi  40 rdi  48 rsp  56 rbp
 *  64 r8   72 r9   80 r10  88 r11  96 r12 104 r13 112 r14 120 r15
 * 128 rip 136 rflags
 * </pre>
 */
public final class X86Regs {
    private static final String[] NAMES = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"};
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            java.util.Arrays.stream(NAMES).map(ValueLayout.JAVA_LONG::withName).toArray(MemoryLayout[]::new));

    public static final long RAX = 0;
    public static final long RBX = 8;
    public static final long RCX = 16;
    public static final long RDX = 24;
    public static final long RSI = 32;
    public static final long RDI = 40;
    public static final long RSP = 48;
    public static final long RBP = 56;
    public static final long RIP = 128;
    public static final long RFLAGS = 136;

    /** RFLAGS bit 1 is reserved and always set; IF (bit 9) clear: the guest takes no interrupts. */
    public static final long RFLAGS_RESERVED = 0x2;

    private X86Regs() {
    }

    public static long get(MemorySegment regs, long register) {
        return regs.get(ValueLayout.JAVA_LONG, register);
    }

    public static void set(MemorySegment regs, long register, long value) {
        regs.set(ValueLayout.JAVA_LONG, register, value);
    }
}
