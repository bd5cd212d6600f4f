package io.mtemigrate.host;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A call the host refuses before it changes anything: its status says which kind of misuse, its message what to do.
 */
final class ApiException extends RuntimeException {
    private final Status.Code code;

    private ApiException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    static ApiException notFound(String message) {
        return new ApiException(Status.Code.NOT_FOUND, message);
    }

    static ApiException invalid(String message) {
        return new ApiException(Status.Code.INVALID_ARGUMENT, message);
    }

    static ApiException precondition(String message) {
        return new ApiException(Status.Code.FAILED_PRECONDITION, message);
    }

    /** The host could not do what was asked for a reason of its own, e.g. not enough memory. */
    static ApiException unavailable(String message) {
        return new ApiException(Status.Code.RESOURCE_EXHAUSTED, message);
    }

    Status.Code code() {
        return code;
    }

    StatusRuntimeException toStatus() {
        return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
    }
}
