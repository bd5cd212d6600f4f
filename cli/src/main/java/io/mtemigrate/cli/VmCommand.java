package io.mtemigrate.cli;

import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.DescribeVmRequest;
import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.ListVmsRequest;
import io.mtemigrate.proto.ListVmsResponse;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "vm", mixinStandardHelpOptions = true,
        description = {"Drives the VMs of a running 'mte-migrate host' through its control API (--host HOST:PORT).",
                "Exit status: 0 when the host did it, 1 when it refused or the migration failed, 2 for usage errors"
                        + " (the host's INVALID_ARGUMENT included)."},
        subcommands = {VmCommand.Create.class, VmCommand.ListVms.class, VmCommand.Show.class,
                VmMigrationCommands.Migrate.class, VmMigrationCommands.Watch.class, VmMigrationCommands.Set.class,
                VmMigrationCommands.Cancel.class, VmCommand.Pause.class, VmCommand.Resume.class,
                VmCommand.Destroy.class})
final class VmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: create, list, show,"
                + " migrate, watch, set, cancel, pause, resume or destroy");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Boots a guest on the host and starts it; prints its id. The guest options are those of"
                    + " 'source', with its defaults.")
    static final class Create extends ApiOptions.Command {
        @Option(names = "--id", paramLabel = "ID", description = "The VM's id (default: the host picks one).")
        String id;

        @Mixin
        VmOptions vm;

        @Override
        public Integer call() throws Exception {
            CommandLine commandLine = spec.commandLine();
            GuestSpec.Builder guest = GuestSpec.newBuilder().setBackend(vm.backend.cliName()).setRamBytes(vm.ram)
                    .setVcpus(vm.vcpus).setSeed(vm.seed).setNoMte(vm.noMte);
            if (vm.backend == Backend.EMU) {
                guest.setPageSize(vm.pageSize.bytes()).setWorkload(vm.workload.cliName()).setFill(vm.fill.cliName());
                if (vm.dirtyRate != null) {
                    guest.setDirtyRate(vm.dirtyRate);
                }
            } else {
                for (String option : java.util.List.of("--workload", "--fill", "--dirty-rate", "--page-size")) {
                    if (commandLine.getParseResult().hasMatchedOption(option)) {
                        throw new CommandLine.ParameterException(commandLine, option + " applies to the emulator's"
                                + " guests; --backend kvm runs its own guest program");
                    }
                }
            }
            if (vm.steps != null) {
                guest.setSteps(vm.steps);
            }
            CreateVmRequest.Builder request = CreateVmRequest.newBuilder().setSpec(guest);
            if (id != null) {
                request.setVmId(id);
            }
            return api.run(commandLine, client -> {
                VmInfo created = client.blocking().createVm(request.build());
                api.write(created);
                System.out.println(created.getVmId());
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "One line per VM on the host.")
    static final class ListVms extends ApiOptions.Command {
        @Override
        public Integer call() throws Exception {
            return api.run(spec.commandLine(), client -> {
                ListVmsResponse all = client.blocking().listVms(ListVmsRequest.getDefaultInstance());
                api.write(all);
                all.getVmsList().forEach(vm -> System.out.println(VmText.line(vm)));
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A VM's state, guest, steps, tag-check faults and hops.")
    static final class Show extends ApiOptions.Command {
        @Parameters(paramLabel = "VM", description = "The VM's id.")
        String vmId;

        @Option(names = "--digests", description = {"Also its RAM+tags digest now and its reference digest (the same"
                + " guest run without migrations on the host, once: as long as that run takes), and whether it"
                + " ended there."})
        boolean digests;

        @Override
        public Integer call() throws Exception {
            return api.run(spec.commandLine(), client -> {
                VmInfo vm = client.blocking().describeVm(DescribeVmRequest.newBuilder().setVmId(vmId)
                        .setDigests(digests).build());
                api.write(vm);
                System.out.print(VmText.details(vm));
                return 0;
            });
        }
    }

    abstract static class OnVm extends ApiOptions.Command {
        @Parameters(paramLabel = "VM", description = "The VM's id.")
        String vmId;

        abstract VmInfo act(io.mtemigrate.proto.HostGrpc.HostBlockingStub host, VmRequest request);

        @Override
        public Integer call() throws Exception {
            return api.run(spec.commandLine(), client -> {
                VmInfo vm = act(client.blocking(), VmRequest.newBuilder().setVmId(vmId).build());
                api.write(vm);
                System.out.println(VmText.line(vm));
                return 0;
            });
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pauses a VM's vCPUs.")
    static final class Pause extends OnVm {
        @Override
        VmInfo act(io.mtemigrate.proto.HostGrpc.HostBlockingStub host, VmRequest request) {
            return host.pauseVm(request);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a paused VM.")
    static final class Resume extends OnVm {
        @Override
        VmInfo act(io.mtemigrate.proto.HostGrpc.HostBlockingStub host, VmRequest request) {
            return host.resumeVm(request);
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Stops a VM for good and frees its memory; refused while it migrates.")
    static final class Destroy extends OnVm {
        @Override
        VmInfo act(io.mtemigrate.proto.HostGrpc.HostBlockingStub host, VmRequest request) {
            return host.destroyVm(request);
        }
    }
}
