package io.mtemigrate.vmsim.vmm;

import java.util.Arrays;
import java.util.Objects;

/**
 * One vCPU's saved state, in the form its backend defines (registers as the backend's ioctls return them); the
 * engine only carries and digests it.
 */
public record VcpuSnapshot(int vcpuId, byte[] state) {
    public VcpuSnapshot {
        state = Objects.requireNonNull(state, "state").clone();
    }

    @Override
    public byte[] state() {
        return state.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VcpuSnapshot s && vcpuId == s.vcpuId && Arrays.equals(state, s.state);
    }

    @Override
    public int hashCode() {
        return 31 * vcpuId + Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        return "VcpuSnapshot[vcpu " + vcpuId + ", " + state.length + " bytes]";
    }
}
