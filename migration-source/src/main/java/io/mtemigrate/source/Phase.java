package io.mtemigrate.source;

/** The steps of a migration on the source, in order; a failure report names the one it happened in. */
public enum Phase {
    HANDSHAKE("handshake"),
    FIRST_PASS("first pass"),
    ROUNDS("pre-copy rounds"),
    STOP_AND_COPY("stop-and-copy"),
    AWAIT_ACK("waiting for the target's acknowledgement"),
    POSTCOPY_SWITCH("switch to post-copy"),
    POSTCOPY("post-copy"),
    VERIFY("verification"),
    DONE("done");

    private final String description;

    Phase(String description) {
        this.description = description;
    }

    @Override
    public String toString() {
        return description;
    }
}
