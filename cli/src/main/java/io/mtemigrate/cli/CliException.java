package io.mtemigrate.cli;

/** A problem the user can fix (unreachable target, missing file); printed as one line, exit status 1. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
