package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationProgress;

/**
 * Why a migration is not converging, in numbers, and what would make it converge: what users of every VMM ask of a
 * migration that never ends. Built from the latest progress and the limits in force.
 */
final class Convergence {
    private Convergence() {
    }

    /**
     * Empty while the migration is not in its pre-copy rounds or the rest fits the limit.
     *
     * @param maxBandwidth the cap in force, 0 for none
     */
    static String explain(MigrationProgress p, long downtimeLimitMs, long maxBandwidth, boolean autoConverge) {
        if (p == null || p.getRound() == 0 || p.getExpectedDowntimeMs() <= downtimeLimitMs) {
            return "";
        }
        StringBuilder why = new StringBuilder();
        why.append("after ").append(p.getRound()).append(p.getRound() == 1 ? " round" : " rounds").append(" the guest")
                .append(" dirties ").append(mb(p.getDirtyRate())).append(" against ").append(mb(p.getBandwidth()))
                .append(" of bandwidth").append(maxBandwidth > 0 ? " (capped at " + mb(maxBandwidth) + ")" : "")
                .append(", ").append(mib(p.getRemainingDirtyBytes())).append(" dirty would take ")
                .append(p.getExpectedDowntimeMs()).append(" ms against a downtime limit of ").append(downtimeLimitMs)
                .append(" ms; throttle ").append(p.getThrottle()).append(" %");
        if (p.getThrottle() >= 99) {
            why.append(" (the most auto-converge applies)");
        }
        why.append(". It would converge with a downtime limit of at least ").append(p.getExpectedDowntimeMs())
                .append(" ms");
        if (maxBandwidth > 0) {
            why.append(", or a bandwidth cap above ").append(mb(Math.max(p.getDirtyRate(), maxBandwidth)))
                    .append(" or none");
        } else if (p.getDirtyRate() >= p.getBandwidth()) {
            why.append(", or a link faster than the dirty rate");
        }
        if (!autoConverge) {
            why.append(", or with auto-converge (off for this migration)");
        }
        return why.append("; post-copy does not exist yet (issue 13)").toString();
    }

    private static String mb(long bytesPerSecond) {
        return String.format("%.1f MB/s", bytesPerSecond / 1e6);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
