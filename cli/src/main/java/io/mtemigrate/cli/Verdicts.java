package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;

/** The checks that make a run a success, applied to its report. */
final class Verdicts {
    private Verdicts() {
    }

    /** Marks the report failed, with the reason, unless every digest that is present agrees and no fault happened. */
    static MigrationReport check(MigrationReport report) {
        String problem = null;
        if (!report.getSourceDigest().isEmpty() && !report.getSourceDigest().equals(report.getTargetDigest())) {
            problem = "source digest " + report.getSourceDigest() + " differs from target digest " + report.getTargetDigest();
        } else if (!report.getReferenceDigest().isEmpty() && !report.getReferenceDigest().equals(report.getFinalDigest())) {
            problem = "final digest " + report.getFinalDigest() + " differs from the reference " + report.getReferenceDigest();
        } else if (report.getTagCheckFaults() != 0) {
            problem = report.getTagCheckFaults() + " tag-check faults";
        }
        return problem == null ? report : report.toBuilder().setStatus("failed").setError(problem).build();
    }
}
