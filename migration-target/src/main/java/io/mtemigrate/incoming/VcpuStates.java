package io.mtemigrate.incoming;

import io.mtemigrate.proto.ErrorCode;
import io.mtemigrate.vmsim.vmm.VcpuSnapshot;

import java.util.Arrays;
import java.util.List;

/** The vCPU states received so far, one slot per vCPU of the layout; a value: adding one gives a new set. */
final class VcpuStates {
    private final VcpuSnapshot[] states;

    private VcpuStates(VcpuSnapshot[] states) {
        this.states = states;
    }

    static VcpuStates none(int vcpus) {
        return new VcpuStates(new VcpuSnapshot[vcpus]);
    }

    VcpuStates with(VcpuSnapshot state) {
        int id = state.vcpuId();
        if (id < 0 || id >= states.length) {
            throw new MigrationAbort(ErrorCode.ERROR_CODE_PROTOCOL_VIOLATION, "state for vCPU " + id + " of a VM with "
                    + states.length + " vCPUs");
        }
        VcpuSnapshot[] next = states.clone();
        next[id] = state;
        return new VcpuStates(next);
    }

    /** The first vCPU whose state has not arrived, or -1 when all have. */
    int firstMissing() {
        for (int i = 0; i < states.length; i++) {
            if (states[i] == null) {
                return i;
            }
        }
        return -1;
    }

    /** Every vCPU's state, in vCPU order; only once {@link #firstMissing()} is -1. */
    List<VcpuSnapshot> all() {
        return List.copyOf(Arrays.asList(states));
    }
}
