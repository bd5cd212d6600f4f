package io.mtemigrate.vmsim.vmm;

import java.util.Objects;

/**
 * Which backend runs a guest and for which architecture. A guest moves only between VMs of the same kind: vCPU
 * snapshots are the backend's own format, and a target refuses a source of another kind in the handshake.
 */
public record GuestKind(String backend, String architecture) {
    /** The emulator: an arm64 guest with MTE when the layout asks for it. */
    public static final GuestKind EMULATOR = new GuestKind("emu", "aarch64");

    public GuestKind {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(architecture, "architecture");
    }

    @Override
    public String toString() {
        return backend + " (" + architecture + ")";
    }
}
