package io.mtemigrate.vmkvm.x86;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The guest every vCPU runs: 32-bit protected-mode code that keeps writing pseudo-random dwords over its own region
 * of RAM, so that a migration always has pages to chase. Everything it needs is in registers, so vCPUs with
 * disjoint regions share the code and the result depends only on the seed and the step count:
 * <pre>
 *   ESI  xorshift32 state, never 0         EBX  region base (flat segments: physical = linear)
 *   EDI  steps done                        ECX  region size in dwords
 *   EBP  step budget, 0 for none           ESP  exit mask: N - 1 for an exit every N steps (N a power of two)
 *   EAX, EDX  scratch
 * </pre>
 * ESP can hold a mask because the guest has no stack: interrupts are off, it never calls, and it takes no
 * exception (one would triple-fault, as there is no IDT, and end in {@code KVM_EXIT_SHUTDOWN}).
 *
 * <p>A step is: advance the xorshift32 state, pick a dword of the region from it, write the state there, count the
 * step. Every N steps the guest writes to {@link #EXIT_PORT}, which leaves {@code KVM_RUN} with {@code KVM_EXIT_IO}:
 * the only moments the VMM can pause or throttle it, as it never stops otherwise. At its budget it executes
 * {@code hlt} ({@code KVM_EXIT_HLT}, since there is no in-kernel irqchip); run again, it halts again.
 */
public final class RandomWritesGuest {
    /** Guest physical address of the code, in the first memslot, below the RAM the guest writes. */
    public static final long CODE_ADDRESS = 0x1000;
    /** The port of the guest's periodic {@code out}: one byte, the value is meaningless. */
    public static final int EXIT_PORT = 0x10;

    private static final byte[] CODE = {
            // loop (0x00):
            0x39, (byte) 0xEF,             // cmp  edi, ebp          steps done against the budget
            0x73, 0x25,                    // jae  budget (0x29)     at or past it: halt, unless there is none
            // body (0x04): xorshift32 with Marsaglia's shifts 13, 17, 5
            (byte) 0x89, (byte) 0xF0,      // mov  eax, esi
            (byte) 0xC1, (byte) 0xE0, 0x0D, // shl eax, 13
            0x31, (byte) 0xC6,             // xor  esi, eax          x ^= x << 13
            (byte) 0x89, (byte) 0xF0,      // mov  eax, esi
            (byte) 0xC1, (byte) 0xE8, 0x11, // shr eax, 17
            0x31, (byte) 0xC6,             // xor  esi, eax          x ^= x >> 17
            (byte) 0x89, (byte) 0xF0,      // mov  eax, esi
            (byte) 0xC1, (byte) 0xE0, 0x05, // shl eax, 5
            0x31, (byte) 0xC6,             // xor  esi, eax          x ^= x << 5
            (byte) 0x89, (byte) 0xF0,      // mov  eax, esi
            (byte) 0xF7, (byte) 0xE1,      // mul  ecx               edx = x * dwords >> 32: an index, no division
            (byte) 0x89, 0x34, (byte) 0x93, // mov [ebx + edx*4], esi  the step's write
            0x47,                          // inc  edi               one step more
            (byte) 0x85, (byte) 0xE7,      // test edi, esp          a multiple of N steps?
            0x75, (byte) 0xDB,             // jnz  loop (0x00)       no: next step
            (byte) 0xE6, EXIT_PORT,        // out  EXIT_PORT, al     yes: leave to the VMM (pause, throttle)
            (byte) 0xEB, (byte) 0xD7,      // jmp  loop (0x00)
            // budget (0x29):
            (byte) 0x85, (byte) 0xED,      // test ebp, ebp          a budget of 0 is none:
            0x74, (byte) 0xD7,             // jz   body (0x04)         keep stepping
            (byte) 0xF4,                   // hlt                    budget reached: KVM_EXIT_HLT
            (byte) 0xEB, (byte) 0xD0,      // jmp  loop (0x00)       resumed after halting, it halts again
    };
    /** Where the guest stands after halting: just past the {@code hlt} at offset 0x2D. */
    public static final long HALTED_RIP = CODE_ADDRESS + 0x2E;
    /** Where it stands after an exit to {@link #EXIT_PORT}: just past the {@code out} at offset 0x25. */
    public static final long AFTER_EXIT_RIP = CODE_ADDRESS + 0x27;

    private RandomWritesGuest() {
    }

    /** Writes the code into the memslot that maps {@link #CODE_ADDRESS}, given that slot's mapping and base. */
    public static void load(MemorySegment slot, long slotGuestPhysAddr) {
        MemorySegment.copy(MemorySegment.ofArray(CODE), 0, slot, CODE_ADDRESS - slotGuestPhysAddr, CODE.length);
    }

    public static int codeBytes() {
        return CODE.length;
    }

    /**
     * The registers that start a vCPU at its first step.
     *
     * @param exitInterval N: steps between exits, a power of two
     * @param budget       steps before {@code hlt}, below 2^32; 0 for none (then the step counter wraps at 2^32)
     */
    public static void initialRegisters(MemorySegment regs, long regionBase, long regionBytes, int randomState,
                                        long budget, int exitInterval) {
        if (randomState == 0) {
            throw new IllegalArgumentException("xorshift32 never leaves state 0");
        }
        regs.fill((byte) 0);
        X86Regs.set(regs, X86Regs.RSI, Integer.toUnsignedLong(randomState));
        X86Regs.set(regs, X86Regs.RDI, 0);
        X86Regs.set(regs, X86Regs.RBP, budget);
        X86Regs.set(regs, X86Regs.RBX, regionBase);
        X86Regs.set(regs, X86Regs.RCX, regionBytes / Integer.BYTES);
        X86Regs.set(regs, X86Regs.RSP, exitInterval - 1);
        X86Regs.set(regs, X86Regs.RIP, CODE_ADDRESS);
        X86Regs.set(regs, X86Regs.RFLAGS, X86Regs.RFLAGS_RESERVED);
    }

    /**
     * Flat 32-bit protected mode, straight from the reset state KVM gives a new vCPU: CR0.PE set and 4 GiB
     * code and data segments loaded into the hidden descriptor caches. No GDT is in memory: the guest never reloads
     * a segment register. CR0.CD and NW (set at reset) are cleared so that an AMD host does not run the guest
     * uncached; paging stays off.
     */
    public static void flatProtectedMode(MemorySegment sregs) {
        X86Sregs.setFlatSegment(sregs, X86Sregs.CS, 0x08, 0xB);  // execute/read, accessed
        for (long data : new long[] {X86Sregs.DS, X86Sregs.ES, X86Sregs.FS, X86Sregs.GS, X86Sregs.SS}) {
            X86Sregs.setFlatSegment(sregs, data, 0x10, 0x3);       // read/write, accessed
        }
        X86Sregs.set(sregs, X86Sregs.CR0, X86Sregs.CR0_PE | X86Sregs.CR0_ET);
        X86Sregs.set(sregs, X86Sregs.CR4, 0);
        X86Sregs.set(sregs, X86Sregs.EFER, 0);
    }

    /** The step counter of a vCPU's registers (EDI). */
    public static long steps(MemorySegment regs) {
        return X86Regs.get(regs, X86Regs.RDI) & 0xFFFF_FFFFL;
    }

    /** The same step, in Java: what the guest writes where, for tests that check the machine code. */
    public static int nextState(int x) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x;
    }

    /** The dword index a state picks in a region of {@code dwords} dwords. */
    public static long index(int state, long dwords) {
        return (Integer.toUnsignedLong(state) * dwords) >>> 32;
    }

    /** A copy of the machine code. */
    public static ByteBuffer code() {
        return ByteBuffer.wrap(CODE.clone()).asReadOnlyBuffer();
    }
}
