package io.mtemigrate.vmsim.guest;

/**
 * What a guest program sees of its vCPU: registers and tag-checked memory, like code running at EL0 on an MTE CPU.
 * Pointers carry their tag in bits 59:56 (top-byte-ignore); every load and store is checked against the tag of
 * the granule it touches, unless PSTATE.TCO is set.
 */
public interface GuestContext {
    long x(int register);

    void setX(int register, long value);

    long pc();

    void setPc(long pc);

    int pageSize();

    boolean mteEnabled();

    /** A checked 64-bit load; a synchronous tag-check fault returns 0 and counts the fault. */
    long load64(long pointer);

    /** A checked 64-bit store; a synchronous tag-check fault suppresses it and counts the fault. */
    void store64(long pointer, long value);

    /** A load with tag checks overridden (PSTATE.TCO = 1), for reading memory whose tag the program does not know. */
    long load64Unchecked(long pointer);

    /** STG: sets the tag of the granule at {@code pointer} to the pointer's tag. Needs write permission: it dirties the page. */
    void storeTag(long pointer);

    /** LDG: the pointer with its tag replaced by the tag of the granule it points at. */
    long loadTag(long pointer);

    /** IRG: the pointer with a random tag not in GCR_EL1.Exclude nor in {@code excludeMask}; advances RGSR_EL1. */
    long randomTag(long pointer, int excludeMask);
}
