package io.mtemigrate.host;

import io.grpc.StatusRuntimeException;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.DescribeVmRequest;
import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.HostGrpc;
import io.mtemigrate.proto.MigrationEvent;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.StartMigrationRequest;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.awaitility.Awaitility.await;

/** In-process hosts on loopback, and what the tests ask of them, through the gRPC API only. */
final class Hosts implements AutoCloseable {
    final List<Host> hosts = new ArrayList<>();
    final List<HostClient> clients = new ArrayList<>();

    Hosts(int count, int maxMigrations) throws Exception {
        for (int i = 0; i < count; i++) {
            TargetConfig incoming = TargetConfig.loopback().withMaxMigrations(maxMigrations)
                    .withVms(new EmulatorVmFactory(true, HostMemory.defaultDirectory(), 0, PageSize.SIZE_4K));
            Host host = Host.start(HostConfig.loopback("h" + i, HostMemory.defaultDirectory(), incoming));
            hosts.add(host);
            clients.add(new HostClient("127.0.0.1", host.apiPort(), null));
        }
    }

    HostGrpc.HostBlockingStub api(int host) {
        return clients.get(host).blocking();
    }

    String migrationAddress(int host) {
        return "127.0.0.1:" + hosts.get(host).migrationPort();
    }

    /** An emulated MTE guest that runs about {@code seconds} at {@code rate} bytes per second. */
    static GuestSpec guest(long ramBytes, Workload workload, long rate, double seconds, int pageSize) {
        int vcpus = 2;
        long steps = (long) (rate / vcpus / workload.program().bytesPerStep() * seconds);
        return GuestSpec.newBuilder().setRamBytes(ramBytes).setWorkload(workload.cliName()).setDirtyRate(rate)
                .setSteps(steps).setVcpus(vcpus).setPageSize(pageSize).setSeed(ramBytes ^ rate).build();
    }

    VmInfo create(int host, String id, GuestSpec spec) {
        return api(host).createVm(CreateVmRequest.newBuilder().setVmId(id).setSpec(spec).build());
    }

    MigrationInfo start(int from, String vm, int to, MigrationOptions options) {
        return api(from).startMigration(StartMigrationRequest.newBuilder().setVmId(vm).setTarget(migrationAddress(to))
                .setOptions(options).build());
    }

    /** Follows a migration to its end through WatchMigration; returns every event. */
    List<MigrationEvent> watch(int host, String migration) {
        List<MigrationEvent> events = new ArrayList<>();
        Iterator<MigrationEvent> stream = api(host).watchMigration(
                MigrationRequest.newBuilder().setMigrationId(migration).build());
        stream.forEachRemaining(events::add);
        return events;
    }

    /** Migrates and waits until the VM runs on {@code to}; returns the outcome. */
    MigrationInfo migrate(int from, String vm, int to, MigrationOptions options) {
        MigrationInfo started = start(from, vm, to, options);
        List<MigrationEvent> events = watch(from, started.getMigrationId());
        MigrationInfo finished = events.getLast().getFinished();
        if (finished.getState() == io.mtemigrate.proto.MigrationState.MIGRATION_STATE_COMPLETED) {
            awaitVm(to, vm);
        }
        return finished;
    }

    void awaitVm(int host, String vm) {
        await().atMost(Duration.ofSeconds(10)).ignoreException(StatusRuntimeException.class)
                .until(() -> describe(host, vm, false) != null);
    }

    VmInfo describe(int host, String vm, boolean digests) {
        return api(host).describeVm(DescribeVmRequest.newBuilder().setVmId(vm).setDigests(digests).build());
    }

    /** Waits until the guest finished its steps, then asks for its digests. */
    VmInfo finish(int host, String vm) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> describe(host, vm, false).getState() == io.mtemigrate.proto.VmState.VM_STATE_HALTED);
        return describe(host, vm, true);
    }

    @Override
    public void close() {
        clients.forEach(HostClient::close);
        hosts.forEach(Host::close);
    }
}
