package io.mtemigrate.incoming;

/** Where a migration stands on the target; each state names the messages it accepts. */
enum SessionState {
    /** Hello accepted on channel 0; expecting the VM layout. */
    ESTABLISHED,
    /** The VM is built; pages, round markers and vCPU state flow in. */
    RECEIVING,
    /** Complete arrived; waiting for every channel's last round to drain. */
    COMPLETING,
    /** The guest runs here and the Ack is sent; the source may still revoke it until it sends Release. */
    RESUMED,
    /** The source released the guest: it is this host's now. */
    RELEASED,
    /** Refused or failed; the partial VM is gone. */
    ABORTED
}
