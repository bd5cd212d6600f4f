package io.mtemigrate.host;

import com.google.protobuf.InvalidProtocolBufferException;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetListener;
import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.StartMigrationRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmOrigin;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.vmsim.InsufficientMemory;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The VMs a host runs and the migrations it sends: what the control API acts on. VMs that arrive through the
 * embedded target are adopted here ({@link TargetListener}) and keep running until told otherwise.
 */
final class Vms implements TargetListener {
    /**
     * Ended migrations a host still answers about. Without a bound a host that migrates for months keeps every
     * outcome it ever had; QEMU's query-migrate keeps only the last one.
     */
    static final int ENDED_KEPT = 32;
    private static final Pattern VM_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private final HostConfig config;
    private final HostMetrics metrics;
    private final Destinations destinations;
    private final Map<String, HostedVm> vms = new ConcurrentHashMap<>();
    private final Map<String, OutgoingMigration> migrations = new ConcurrentHashMap<>();
    private final Deque<String> ended = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong vmIds = new AtomicLong();
    private final AtomicLong migrationIds = new AtomicLong();
    private volatile boolean closing;

    Vms(HostConfig config, HostMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.destinations = new Destinations(config.outgoingTls(), config.insecure());
    }

    int count() {
        return vms.size();
    }

    VmInfo create(CreateVmRequest request) throws InterruptedException {
        String id = request.getVmId().isEmpty() ? "vm-" + config.name() + "-" + vmIds.incrementAndGet()
                : request.getVmId();
        if (!VM_ID.matcher(id).matches()) {
            throw ApiException.invalid("vm_id '" + id + "' must be 1-63 letters, digits, '.', '_' or '-'");
        }
        if (vms.containsKey(id)) {
            throw ApiException.precondition("a vm with id " + id + " already runs on this host");
        }
        GuestSpec spec = GuestSpecs.resolve(request.getSpec());
        MigratableVm machine;
        try {
            machine = GuestRuns.boot(spec, config.memoryDirectory());
        } catch (InsufficientMemory e) {
            throw ApiException.unavailable(e.getMessage());
        }
        HostedVm vm = new HostedVm(VmOrigin.newBuilder().setSpec(spec).setVmId(id).build(), machine);
        if (vms.putIfAbsent(id, vm) != null) {
            machine.close();
            throw ApiException.precondition("a vm with id " + id + " already runs on this host");
        }
        machine.start();
        return vm.describe(config.name(), false, config.memoryDirectory());
    }

    List<VmInfo> list() throws InterruptedException {
        List<VmInfo> all = new ArrayList<>();
        for (HostedVm vm : vms.values()) {
            all.add(vm.describe(config.name(), false, config.memoryDirectory()));
        }
        all.sort(Comparator.comparing(VmInfo::getVmId));
        return all;
    }

    VmInfo describe(String id, boolean digests) throws InterruptedException {
        return vm(id).describe(config.name(), digests, config.memoryDirectory());
    }

    VmInfo pause(String id) throws InterruptedException {
        HostedVm vm = vm(id);
        vm.pause();
        return vm.describe(config.name(), false, config.memoryDirectory());
    }

    VmInfo resume(String id) throws InterruptedException {
        HostedVm vm = vm(id);
        vm.resume();
        return vm.describe(config.name(), false, config.memoryDirectory());
    }

    VmInfo destroy(String id) throws InterruptedException {
        HostedVm vm = vm(id);
        VmInfo last = vm.describe(config.name(), false, config.memoryDirectory());
        vm.destroy();
        vms.remove(id, vm);
        return last;
    }

    MigrationInfo startMigration(StartMigrationRequest request) {
        if (closing) {
            throw ApiException.precondition("this host is shutting down");
        }
        HostedVm vm = vm(request.getVmId());
        MigrationConfig migrationConfig = MigrationOptionsParser.config(request.getOptions());
        if (migrationConfig.postcopy().armed() && vm.spec().getBackend().equals("kvm")) {
            throw ApiException.invalid("postcopy: vm " + vm.id() + " runs on the kvm backend, whose targets cannot"
                    + " run a guest before its memory arrives; migrate it with pre-copy");
        }
        String id = "mig-" + config.name() + "-" + migrationIds.incrementAndGet();
        OutgoingMigration migration = new OutgoingMigration(id, vm, request.getTarget(),
                destinations.to(request.getTarget()), migrationConfig, config.name());
        vm.beginMigration(migration);
        migrations.put(id, migration);
        Thread thread = Thread.ofPlatform().name("migration-" + id).daemon().unstarted(
                () -> migration.run(report -> ended(migration, report)));
        synchronized (threads) {
            threads.removeIf(t -> !t.isAlive());
            threads.add(thread);
        }
        thread.start();
        return migration.info();
    }

    /** Before any watcher hears: a completed migration's VM is gone from here when its outcome is told. */
    private void ended(OutgoingMigration migration, MigrationReport report) {
        forgetOldest(migration.id());
        HostedVm vm = migration.vm();
        metrics.outgoing(report);
        if (report.getStatus().equals("completed")) {
            vms.remove(vm.id(), vm);
            vm.endMigration();
            vm.close();
        } else {
            vm.endMigration();
        }
    }

    private void forgetOldest(String justEnded) {
        synchronized (ended) {
            ended.addLast(justEnded);
            while (ended.size() > ENDED_KEPT) {
                migrations.remove(ended.removeFirst());
            }
        }
    }

    OutgoingMigration migration(String id) {
        OutgoingMigration migration = migrations.get(id);
        if (migration == null) {
            throw ApiException.notFound("no migration " + id + " on host " + config.name());
        }
        return migration;
    }

    private HostedVm vm(String id) {
        if (id.isEmpty()) {
            throw ApiException.invalid("vm_id is required");
        }
        HostedVm vm = vms.get(id);
        if (vm == null) {
            throw ApiException.notFound("no vm " + id + " on host " + config.name());
        }
        return vm;
    }

    @Override
    public void beforeResume(MachineLayout layout) {
        VmOrigin origin = origin(layout);
        if (origin != null && vms.containsKey(origin.getVmId())) {
            throw new IllegalStateException("host " + config.name() + " already runs a vm with id " + origin.getVmId());
        }
    }

    @Override
    public void onResumed(ArrivedVm arrived) {
        MigratableVm machine = arrived.machine();
        VmOrigin origin = origin(machine.layout());
        if (origin == null) {
            // A guest from a plain `mte-migrate source`: it runs here, but nothing says what it would end as.
            origin = VmOrigin.newBuilder().setVmId("vm-" + config.name() + "-" + vmIds.incrementAndGet())
                    .setSpec(GuestSpec.newBuilder().setBackend(machine.layout().kind().backend())
                            .setRamBytes(machine.layout().ramBytes()).setVcpus(machine.layout().vcpus())
                            .setPageSize(machine.layout().pageSize().bytes()).setNoMte(!machine.layout().mte()))
                    .build();
        }
        HostedVm vm = new HostedVm(origin.toBuilder().setHops(origin.getHops() + 1).build(), machine);
        if (closing || vms.putIfAbsent(vm.id(), vm) != null) {
            machine.close();
            metrics.incoming("failed");
            return;
        }
        metrics.incoming("completed");
    }

    @Override
    public void onFailed(String reason) {
        metrics.incoming("failed");
    }

    private static VmOrigin origin(MachineLayout layout) {
        byte[] bytes = layout.origin();
        if (bytes.length == 0) {
            return null;
        }
        try {
            return VmOrigin.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    /** Cancels what is under way, waits for it, and stops every VM. */
    void close() throws InterruptedException {
        closing = true;
        for (OutgoingMigration migration : migrations.values()) {
            try {
                migration.cancel();
            } catch (ApiException alreadyEnded) {
                // Nothing to stop.
            }
        }
        List<Thread> running;
        synchronized (threads) {
            running = List.copyOf(threads);
        }
        for (Thread thread : running) {
            thread.join();
        }
        for (HostedVm vm : vms.values()) {
            vm.close();
        }
        vms.clear();
    }
}
