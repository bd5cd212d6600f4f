package io.mtemigrate.cli;

import io.mtemigrate.host.PostcopyPlans;
import io.mtemigrate.proto.HostGrpc;
import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.SetMigrationLimitsRequest;
import io.mtemigrate.proto.StartMigrationRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Iterator;

/** The `vm` subcommands that start, follow and steer migrations. */
final class VmMigrationCommands {
    private VmMigrationCommands() {
    }

    /** Follows a migration to its end, a progress line on stderr; 0 when it completed. */
    static int follow(HostGrpc.HostBlockingStub host, String migrationId, ApiOptions api, boolean quiet) {
        Iterator<MigrationEvent> events = host.watchMigration(MigrationRequest.newBuilder()
                .setMigrationId(migrationId).build());
        boolean terminal = System.console() != null;
        MigrationInfo finished = null;
        while (events.hasNext()) {
            MigrationEvent event = events.next();
            if (event.hasProgress() && !quiet) {
                System.err.print(VmText.progress(event.getProgress()) + (terminal ? "\r" : "\n"));
            } else if (event.hasFinished()) {
                finished = event.getFinished();
            }
        }
        if (terminal && !quiet) {
            System.err.println();
        }
        if (finished == null) {
            throw new CliException("the host stopped answering before migration " + migrationId + " ended");
        }
        api.write(finished);
        System.out.println(VmText.outcome(finished));
        return finished.getState() == MigrationState.MIGRATION_STATE_COMPLETED ? 0 : 1;
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Starts migrating a VM to another host's --listen address and prints the migration's id;"
                    + " with --watch, follows it to its end. The VM keeps running here if it fails or is cancelled.",
                    "The migration options are those of 'source', with its defaults."})
    static final class Migrate extends ApiOptions.Command {
        @Parameters(paramLabel = "VM", description = "The VM's id.")
        String vmId;

        @Option(names = "--to", paramLabel = "HOST:PORT", required = true, converter = Converters.Address.class,
                description = "Where the other host listens for migrations ('host --listen').")
        HostPort to;

        @Option(names = "--watch", description = "Follow the migration until it ends; exit 0 only if it completed.")
        boolean watch;

        @Option(names = "--quiet", description = "With --watch: no progress lines.")
        boolean quiet;

        @CommandLine.Mixin
        io.mtemigrate.cli.MigrationOptions migration;

        @Override
        public Integer call() throws Exception {
            CommandLine commandLine = spec.commandLine();
            io.mtemigrate.source.MigrationConfig checked = migration.config(commandLine);
            MigrationOptions.Builder options = MigrationOptions.newBuilder()
                    .setDowntimeMs(checked.downtimeLimit().toMillis()).setMaxBandwidth(checked.maxBandwidth())
                    .setChannels(checked.channels()).setZstd(checked.zstd()).setNoAutoConverge(!checked.autoConverge())
                    .setMaxRounds(checked.maxRounds()).setTimeoutMs(checked.timeout().toMillis())
                    .setStallTimeoutMs(checked.stallTimeout().toMillis());
            if (checked.postcopy().armed()) {
                options.setPostcopy(PostcopyPlans.format(checked.postcopy()))
                        .setPostcopyRecoveryTimeoutMs(checked.postcopy().recoveryTimeout().toMillis());
            }
            return api.run(commandLine, client -> {
                MigrationInfo started = client.blocking().startMigration(StartMigrationRequest.newBuilder()
                        .setVmId(vmId).setTarget(to.toString()).setOptions(options).build());
                if (!watch) {
                    api.write(started);
                    System.out.println(started.getMigrationId());
                    return 0;
                }
                return follow(client.blocking(), started.getMigrationId(), api, quiet);
            });
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Follows a migration like 'virsh migrate --verbose': a progress line (share of RAM in the"
                    + " first pass, phase, round, bytes by kind, bandwidth, dirty rate, expected downtime, throttle),"
                    + " then its outcome. Exit 0 only if it completed.")
    static final class Watch extends ApiOptions.Command {
        @Parameters(paramLabel = "MIGRATION", description = "The migration's id ('vm migrate' prints it).")
        String migrationId;

        @Option(names = "--quiet", description = "No progress lines; only the outcome.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            return api.run(spec.commandLine(), client -> follow(client.blocking(), migrationId, api, quiet));
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Changes a running migration's downtime limit or bandwidth cap; the next round or frame"
                    + " obeys it (like QEMU's migrate-set-parameters). With --start-postcopy, switches a migration"
                    + " started with --postcopy to post-copy (like QEMU's migrate-start-postcopy).")
    static final class Set extends ApiOptions.Command {
        @Parameters(paramLabel = "MIGRATION", description = "The migration's id.")
        String migrationId;

        @Option(names = "--downtime-ms", paramLabel = "MS", description = "The new downtime limit, positive.")
        Long downtimeMs;

        @Option(names = "--max-bandwidth", paramLabel = "RATE", converter = Converters.Rate.class,
                description = "The new cap in bytes per second, e.g. 20M, or max for none.")
        Long maxBandwidth;

        @Option(names = "--start-postcopy", description = "Switch to post-copy at the end of the pass or round being"
                + " sent: the guest resumes on the target at once and fetches what it still lacks from here. The"
                + " host refuses it unless the migration was started with --postcopy (e.g. --postcopy=on-request).")
        boolean startPostcopy;

        @Override
        public Integer call() throws Exception {
            if (downtimeMs == null && maxBandwidth == null && !startPostcopy) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give --downtime-ms, --max-bandwidth,"
                        + " --start-postcopy or several of them");
            }
            SetMigrationLimitsRequest.Builder request = SetMigrationLimitsRequest.newBuilder().setMigrationId(migrationId)
                    .setStartPostcopy(startPostcopy);
            if (downtimeMs != null) {
                request.setDowntimeMs(downtimeMs);
            }
            if (maxBandwidth != null) {
                request.setMaxBandwidth(maxBandwidth);
            }
            return api.run(spec.commandLine(), client -> {
                MigrationInfo info = client.blocking().setMigrationLimits(request.build());
                api.write(info);
                System.out.println(VmText.outcome(info));
                return 0;
            });
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancels a running migration; the VM keeps running on its source, untouched.")
    static final class Cancel extends ApiOptions.Command {
        @Parameters(paramLabel = "MIGRATION", description = "The migration's id.")
        String migrationId;

        @Override
        public Integer call() throws Exception {
            return api.run(spec.commandLine(), client -> {
                MigrationInfo info = client.blocking().cancelMigration(MigrationRequest.newBuilder()
                        .setMigrationId(migrationId).build());
                api.write(info);
                System.out.println("cancelling " + info.getMigrationId() + "; 'vm watch " + info.getMigrationId()
                        + "' shows when it has stopped");
                return 0;
            });
        }
    }
}
