package io.mtemigrate.vmsim;

/** The host cannot commit the memory a VM would need; the message gives the numbers. Nothing was committed. */
public final class InsufficientMemory extends RuntimeException {
    public InsufficientMemory(String message) {
        super(message);
    }
}
