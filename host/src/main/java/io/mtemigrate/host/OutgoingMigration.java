package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationProgress;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.source.Destination;
import io.mtemigrate.source.LiveLimits;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.SourceMigration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * One migration of a hosted VM to another host, on a thread of its own: what it reports while it runs, the limits
 * it obeys, and how it ended. Watchers get each progress report and then the outcome.
 */
final class OutgoingMigration {
    private final String id;
    private final String vmId;
    /** Both dropped at the end: a host keeps the outcomes of many migrations, not their guests and engines. */
    private HostedVm vm;
    private final String target;
    private final String hostName;
    private final MigrationConfig config;
    private SourceMigration run;
    private final long startNanos = System.nanoTime();
    private final List<Consumer<MigrationEvent>> watchers = new ArrayList<>();
    private MigrationProgress latest;
    private MigrationInfo finished;

    OutgoingMigration(String id, HostedVm vm, String target, Destination destination, MigrationConfig config,
                      String hostName) {
        this.id = id;
        this.vmId = vm.id();
        this.vm = vm;
        this.target = target;
        this.hostName = hostName;
        this.config = config;
        this.run = new SourceMigration(vm.machine(), destination, config, this::progressed);
    }

    String id() {
        return id;
    }

    String target() {
        return target;
    }

    /** The VM it moves; null once it has ended. */
    synchronized HostedVm vm() {
        return vm;
    }

    /** Runs the migration on the calling thread; {@code onEnd} gets the report before any watcher hears of it. */
    void run(Consumer<MigrationReport> onEnd) {
        MigrationReport report;
        SourceMigration engine;
        synchronized (this) {
            engine = run;
        }
        try {
            report = engine.run();
        } catch (RuntimeException | Error e) {
            report = MigrationReport.newBuilder().setStatus("failed").setError("failed: " + e).build();
        }
        String convergence;
        synchronized (this) {
            convergence = explain();
        }
        onEnd.accept(report);
        MigrationInfo.Builder info = info().toBuilder().setReport(report).setConvergence("")
                .setState(switch (report.getStatus()) {
                    case "completed" -> MigrationState.MIGRATION_STATE_COMPLETED;
                    case "cancelled" -> MigrationState.MIGRATION_STATE_CANCELLED;
                    default -> MigrationState.MIGRATION_STATE_FAILED;
                });
        if (!report.getError().isEmpty()) {
            // The engine names the phase; the user also needs to know which hosts, and, for a migration that did
            // not converge, why in numbers.
            info.setError("migrating vm " + vmId + " from host " + hostName + " to " + target + " " + report.getError()
                    + (convergence.isEmpty() ? "" : ". " + convergence));
        }
        synchronized (this) {
            finished = info.build();
            run = null;
            vm = null;
            MigrationEvent event = MigrationEvent.newBuilder().setFinished(finished).build();
            for (Consumer<MigrationEvent> watcher : watchers) {
                watcher.accept(event);
            }
            watchers.clear();
        }
    }

    private synchronized void progressed(io.mtemigrate.source.MigrationProgress p) {
        latest = MigrationProgress.newBuilder().setPhase(p.phase().toString()).setRound(p.round())
                .setBytesSent(p.bytesSent()).setPageDataBytes(p.sent().pageDataBytes()).setTagBytes(p.sent().tagBytes())
                .setPagesSent(p.sent().pages()).setZeroPages(p.sent().zeroPages())
                .setRemainingDirtyBytes(p.remainingDirtyBytes()).setDirtyRate(p.dirtyRate()).setBandwidth(p.bandwidth())
                .setExpectedDowntimeMs(p.expectedDowntimeMs()).setThrottle(p.throttle()).setRamPercent(p.ramPercent())
                .setRamBytes(vm.machine().layout().ramBytes())
                .setElapsedMs((System.nanoTime() - startNanos) / 1_000_000).build();
        MigrationEvent event = MigrationEvent.newBuilder().setProgress(latest).build();
        for (Consumer<MigrationEvent> watcher : watchers) {
            watcher.accept(event);
        }
    }

    /**
     * Follows the migration: the latest progress at once, each later one, then the outcome. A finished migration
     * answers with its outcome only. Returns what stops the following.
     */
    synchronized Runnable watch(Consumer<MigrationEvent> watcher) {
        if (finished != null) {
            watcher.accept(MigrationEvent.newBuilder().setFinished(finished).build());
            return () -> {
            };
        }
        if (latest != null) {
            watcher.accept(MigrationEvent.newBuilder().setProgress(latest).build());
        }
        watchers.add(watcher);
        return () -> {
            synchronized (this) {
                watchers.remove(watcher);
            }
        };
    }

    synchronized boolean finished() {
        return finished != null;
    }

    synchronized MigrationInfo info() {
        if (finished != null) {
            return finished;
        }
        LiveLimits limits = run.limits();
        MigrationInfo.Builder info = MigrationInfo.newBuilder().setMigrationId(id).setVmId(vmId).setTarget(target)
                .setSourceHost(hostName).setState(MigrationState.MIGRATION_STATE_RUNNING)
                .setDowntimeLimitMs(limits.downtimeLimit().toMillis()).setMaxBandwidth(limits.maxBandwidth())
                .setPostcopy(PostcopyPlans.format(config.postcopy())).setPostcopyRequested(limits.postcopyRequested())
                .setConvergence(explain());
        if (latest != null) {
            info.setProgress(latest);
        }
        return info.build();
    }

    private String explain() {
        LiveLimits limits = run.limits();
        return Convergence.explain(latest, limits.downtimeLimit().toMillis(), limits.maxBandwidth(),
                config.autoConverge());
    }

    /**
     * @throws ApiException when it has ended, for a limit no migration can have, or for a switch to post-copy the
     *                      migration was not armed for; then nothing changes
     */
    synchronized MigrationInfo setLimits(Long downtimeMs, Long maxBandwidth, boolean startPostcopy) {
        requireRunning(startPostcopy ? "switch to post-copy" : "change the limits of");
        if (downtimeMs != null && downtimeMs <= 0) {
            throw ApiException.invalid("downtime_ms must be positive, not " + downtimeMs);
        }
        if (startPostcopy && !config.postcopy().armed()) {
            // Unarmed, the target was never asked whether it can run a guest before its memory arrives, and no
            // post-copy channel was opened: the switch cannot be added afterwards.
            throw ApiException.precondition("migration " + id + " was not started with post-copy armed: nothing to"
                    + " switch. Start the migration with postcopy on-request (vm migrate --postcopy=on-request) to"
                    + " switch it when you choose");
        }
        if (downtimeMs != null) {
            run.limits().setDowntimeLimit(Duration.ofMillis(downtimeMs));
        }
        if (maxBandwidth != null) {
            run.limits().setMaxBandwidth(maxBandwidth);
        }
        if (startPostcopy) {
            run.limits().startPostcopy();
        }
        return info();
    }

    synchronized MigrationInfo cancel() {
        requireRunning("cancel");
        if (run.switchedToPostcopy()) {
            throw ApiException.precondition("migration " + id + " has switched to post-copy: the guest runs on the"
                    + " target and part of its memory is only here, so it can no longer be cancelled");
        }
        run.cancel();
        return info();
    }

    private void requireRunning(String action) {
        if (finished != null) {
            throw ApiException.precondition("migration " + id + " has already ended ("
                    + finished.getState().name().substring("MIGRATION_STATE_".length()).toLowerCase(Locale.ROOT)
                    + "): nothing to " + action);
        }
    }
}
