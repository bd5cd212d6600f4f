package io.mtemigrate.vmsim.emu;

import io.mtemigrate.vmsim.guest.GuestContext;
import io.mtemigrate.vmsim.guest.GuestProgram;
import io.mtemigrate.vmsim.guest.TaggedPointers;

/**
 * A test guest that makes one access a step: kind in X0, pointer in X1, the value to store in X3; what it read
 * goes to X2 (and a read tag to X5). With a pointer in X4 it first increments the word there, so that a step taken
 * back after that store shows whether the store was undone.
 */
final class ProbeProgram implements GuestProgram {
    enum Access {
        DATA_READ(false), DATA_WRITE(true), TAG_READ(false), TAG_WRITE(true), DATA_AND_TAG_READ(false);

        final boolean write;

        Access(boolean write) {
            this.write = write;
        }
    }

    static final ProbeProgram INSTANCE = new ProbeProgram();
    static final long PC = 0x7_0000_0000L;

    @Override
    public void step(GuestContext cpu) {
        long counter = cpu.x(4);
        if (counter != 0) {
            cpu.store64(counter, cpu.load64(counter) + 1);
        }
        long pointer = cpu.x(1);
        switch (Access.values()[(int) cpu.x(0)]) {
            case DATA_READ -> cpu.setX(2, cpu.load64(pointer));
            case DATA_WRITE -> cpu.store64(pointer, cpu.x(3));
            case TAG_READ -> cpu.setX(2, cpu.loadTag(pointer));
            case TAG_WRITE -> cpu.storeTag(pointer);
            case DATA_AND_TAG_READ -> {
                cpu.setX(2, cpu.load64Unchecked(pointer));
                cpu.setX(5, TaggedPointers.tagOf(cpu.loadTag(pointer)));
            }
        }
    }

    @Override
    public int bytesPerStep() {
        return 8;
    }
}
