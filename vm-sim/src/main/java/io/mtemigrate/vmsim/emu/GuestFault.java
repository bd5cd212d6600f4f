package io.mtemigrate.vmsim.emu;

/** A guest access KVM cannot satisfy (no memslot, a store to a read-only slot): KVM_RUN would exit with an error. */
final class GuestFault extends RuntimeException {
    GuestFault(String message) {
        super(message);
    }
}
