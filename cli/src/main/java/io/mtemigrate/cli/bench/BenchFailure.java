package io.mtemigrate.cli.bench;

/** A measurement the bench could not take, with the reason a user can act on. */
final class BenchFailure extends RuntimeException {
    BenchFailure(String message) {
        super(message);
    }
}
