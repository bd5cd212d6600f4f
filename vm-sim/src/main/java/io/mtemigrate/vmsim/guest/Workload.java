package io.mtemigrate.vmsim.guest;

import java.util.Locale;

/** The guest programs by name; the number is the program's "load address" in the high half of PC. */
public enum Workload {
    IDLE(1, new IdleProgram(), false),
    ALLOC(2, new AllocProgram(), true),
    STREAM(3, new StreamProgram(), false),
    HOTSET(4, new RandomWritesProgram(true), false),
    TAGONLY(5, new TagOnlyProgram(), true),
    RANDOM(6, new RandomWritesProgram(false), false);

    private final int programId;
    private final GuestProgram program;
    private final boolean hasInitPhase;

    Workload(int programId, GuestProgram program, boolean hasInitPhase) {
        this.programId = programId;
        this.program = program;
        this.hasInitPhase = hasInitPhase;
    }

    public int programId() {
        return programId;
    }

    public GuestProgram program() {
        return program;
    }

    /** The PC a freshly booted vCPU starts this program at. */
    public long entryPc() {
        return ProgramRegisters.pc(programId, hasInitPhase ? ProgramRegisters.PHASE_INIT : ProgramRegisters.PHASE_RUN);
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Workload byName(String name) {
        for (Workload w : values()) {
            if (w.cliName().equals(name.toLowerCase(Locale.ROOT))) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + name + "' (idle, alloc, stream, hotset, tagonly, random)");
    }
}
