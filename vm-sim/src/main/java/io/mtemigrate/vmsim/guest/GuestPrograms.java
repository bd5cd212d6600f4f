package io.mtemigrate.vmsim.guest;

/** Finds the program a PC points into. */
public final class GuestPrograms {
    private static final GuestProgram[] BY_ID = new GuestProgram[Workload.values().length + 1];

    static {
        for (Workload w : Workload.values()) {
            BY_ID[w.programId()] = w.program();
        }
    }

    private GuestPrograms() {
    }

    public static GuestProgram forPc(long pc) {
        long id = pc >>> 32;
        if (id <= 0 || id >= BY_ID.length) {
            throw new IllegalStateException("PC 0x" + Long.toHexString(pc) + " points at no guest program");
        }
        return BY_ID[(int) id];
    }
}
