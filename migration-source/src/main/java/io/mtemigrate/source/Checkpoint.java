package io.mtemigrate.source;

/** Where a long-running step lets a cancellation or a timeout stop it. */
@FunctionalInterface
interface Checkpoint {
    void check() throws MigrationFailure;

    Checkpoint NONE = () -> {
    };
}
