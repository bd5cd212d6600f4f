package io.mtemigrate.vmsim.guest;

/**
 * The register conventions of the guest programs. Parameters sit in callee-saved registers the way a real
 * program keeps them; the program's identity sits in the high half of PC as if each program were loaded at its
 * own address.
 */
public final class ProgramRegisters {
    /** Base IPA of the region this vCPU owns (vCPUs never share writable memory). */
    public static final int REGION_BASE = 19;
    public static final int REGION_SIZE = 20;
    /** xorshift64* state of the program's data choices. */
    public static final int RANDOM_STATE = 21;
    /** A program's cursor (stream position, init progress). */
    public static final int CURSOR = 22;
    /** The tag a program is currently writing with (stream). */
    public static final int CURRENT_TAG = 24;
    /** The rate the program dirties memory at, bytes per second; 0 runs flat out. */
    public static final int PACE_BYTES_PER_SECOND = 27;
    /** The vCPU halts (like WFI with no interrupt to come) once it has run this many steps; 0 never halts. */
    public static final int STEP_BUDGET = 28;

    /** Phase in the low half of PC: the program's first steps initialise its data structures. */
    public static final long PHASE_INIT = 0;
    public static final long PHASE_RUN = 1;

    private ProgramRegisters() {
    }

    public static long pc(int programId, long phase) {
        return ((long) programId << 32) | phase;
    }

    public static long phase(long pc) {
        return pc & 0xFFFF_FFFFL;
    }

    /** One xorshift64* step on the program's random register; returns the next value. */
    public static long nextRandom(GuestContext cpu) {
        long s = cpu.x(RANDOM_STATE);
        s ^= s >>> 12;
        s ^= s << 25;
        s ^= s >>> 27;
        cpu.setX(RANDOM_STATE, s);
        return s * 0x2545F4914F6CDD1DL;
    }

    /** A uniformly chosen index below {@code bound}. */
    public static long nextBelow(GuestContext cpu, long bound) {
        return Long.remainderUnsigned(nextRandom(cpu), bound);
    }
}
