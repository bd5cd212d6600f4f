package io.mtemigrate.vmsim.guest;

/** A guest that only waits for interrupts: it writes nothing, so its memory never changes. */
final class IdleProgram implements GuestProgram {
    @Override
    public void step(GuestContext cpu) {
    }

    @Override
    public int bytesPerStep() {
        return 0;
    }
}
