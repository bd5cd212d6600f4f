package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationProgress;
import io.mtemigrate.proto.PostcopyReport;
import io.mtemigrate.proto.VmInfo;

import java.util.Locale;

/** The `vm` commands' words for what a host answers. */
final class VmText {
    private VmText() {
    }

    static String state(VmInfo vm) {
        return vm.getState().name().substring("VM_STATE_".length()).toLowerCase(Locale.ROOT);
    }

    static String line(VmInfo vm) {
        return String.format(Locale.ROOT, "%-24s %-9s %-4s %8s %s %6d hops  steps %d/%d%s", vm.getVmId(), state(vm),
                vm.getBackend(), Units.bytes(vm.getRamBytes()), vm.getMte() ? "MTE   " : "no MTE", vm.getHops(),
                vm.getStepsDone(), vm.getStepsTotal(),
                vm.getMigrationId().isEmpty() ? "" : "  migrating: " + vm.getMigrationId());
    }

    static String details(VmInfo vm) {
        StringBuilder text = new StringBuilder();
        text.append("vm ").append(vm.getVmId()).append(" on host ").append(vm.getHost()).append('\n')
                .append("  state          ").append(state(vm)).append(vm.getError().isEmpty() ? "" : ": " + vm.getError()).append('\n')
                .append("  guest          ").append(vm.getBackend()).append(" (").append(vm.getArchitecture()).append("), ")
                .append(Units.bytes(vm.getRamBytes())).append(", ").append(vm.getSpec().getVcpus()).append(" vCPUs, ")
                .append(vm.getSpec().getPageSize() / 1024).append("K pages, ").append(vm.getMte() ? "MTE" : "no MTE")
                .append(vm.getSpec().getWorkload().isEmpty() ? "" : ", workload " + vm.getSpec().getWorkload()
                        + ", fill " + vm.getSpec().getFill() + ", dirty rate " + Units.bytes(vm.getSpec().getDirtyRate()) + "/s")
                .append(", seed ").append(vm.getSpec().getSeed()).append('\n')
                .append("  steps          ").append(vm.getStepsDone()).append(" of ").append(vm.getStepsTotal()).append('\n')
                .append("  tag faults     ").append(vm.getTagCheckFaults()).append('\n')
                .append("  hops           ").append(vm.getHops()).append('\n');
        if (!vm.getMigrationId().isEmpty()) {
            text.append("  migrating      ").append(vm.getMigrationId()).append('\n');
        }
        if (!vm.getDigest().isEmpty()) {
            text.append("  digest         ").append(vm.getDigest()).append('\n')
                    .append("  reference      ").append(vm.getReferenceDigest()).append('\n')
                    .append("  at reference   ").append(vm.getAtReference() ? "yes"
                            : vm.getState() == io.mtemigrate.proto.VmState.VM_STATE_HALTED ? "NO" : "not yet (still running)")
                    .append('\n');
        }
        return text.toString();
    }

    /** Like `virsh migrate --verbose`, with the numbers a user steers by. */
    static String progress(MigrationProgress p) {
        return String.format(Locale.ROOT, "Migration: [%3d %%] %s, round %d, %s sent (data %s, tags %s),"
                        + " %.1f MB/s, dirty %.1f MB/s, expected downtime %d ms, throttle %d %%",
                p.getPhase().equals("first pass") ? p.getRamPercent() : 100, p.getPhase(), p.getRound(),
                Units.bytes(p.getBytesSent()), Units.bytes(p.getPageDataBytes()), Units.bytes(p.getTagBytes()),
                p.getBandwidth() / 1e6, p.getDirtyRate() / 1e6, p.getExpectedDowntimeMs(), p.getThrottle());
    }

    static String outcome(MigrationInfo m) {
        String state = m.getState().name().substring("MIGRATION_STATE_".length()).toLowerCase(Locale.ROOT);
        StringBuilder text = new StringBuilder("migration ").append(m.getMigrationId()).append(" of vm ")
                .append(m.getVmId()).append(" to ").append(m.getTarget()).append(": ").append(state);
        if (m.hasReport() && state.equals("completed")) {
            text.append(String.format(Locale.ROOT, " in %d ms, downtime %d ms, %d rounds, %s on the wire, %.1f MB/s",
                    m.getReport().getTotalTimeMs(), m.getReport().getDowntimeMs(), m.getReport().getRounds(),
                    Units.bytes(m.getReport().getBytesOnWire()), m.getReport().getThroughputMbps()));
            if (m.getReport().hasPostcopy()) {
                PostcopyReport p = m.getReport().getPostcopy();
                text.append(String.format(Locale.ROOT, "\n  switched to post-copy at %d ms: %d pages after the switch"
                                + " in %d ms, %d faults (p99 %d us)", p.getSwitchAtMs(), p.getPagesAfterSwitch(),
                        p.getPostcopyMs(), p.getFaults(), p.getFaultLatencyP99Us()));
            }
        } else if (state.equals("running")) {
            text.append(String.format(Locale.ROOT, " (downtime limit %d ms, bandwidth cap %s%s)", m.getDowntimeLimitMs(),
                    m.getMaxBandwidth() == 0 ? "none" : Units.bytes(m.getMaxBandwidth()) + "/s",
                    m.getPostcopy().isEmpty() ? "" : ", post-copy " + m.getPostcopy()
                            + (m.getPostcopyRequested() ? ", switch requested" : "")));
            if (!m.getConvergence().isEmpty()) {
                text.append("\n  not converging: ").append(m.getConvergence());
            }
        }
        if (!m.getError().isEmpty()) {
            text.append("\n  ").append(m.getError());
        }
        return text.toString();
    }
}
