package io.mtemigrate.e2e;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.ProgressListener;
import io.mtemigrate.source.SourceMigration;
import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.incoming.TargetListener;
import io.mtemigrate.incoming.TargetServer;
import io.mtemigrate.vmsim.machine.MachineLayout;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A target host on loopback in this process, collecting the guests that arrive and the migrations that fail. */
final class LoopbackTarget implements TargetListener, AutoCloseable {
    final LinkedBlockingQueue<ArrivedVm> arrived = new LinkedBlockingQueue<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    /** Connections closed before they joined a migration (authentication, handshake timeout, too many). */
    final List<String> refused = new CopyOnWriteArrayList<>();
    volatile Consumer<MachineLayout> beforeResume = layout -> {
    };
    final TargetServer server;

    /** With {@code config}'s VM backend, or the emulator's when it names none. */
    LoopbackTarget(TargetConfig config) throws InterruptedException {
        server = TargetServer.start(config.vms() == null ? config.withVms(new EmulatorVmFactory()) : config, this);
    }

    LoopbackTarget() throws InterruptedException {
        this(TargetConfig.loopback());
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.port());
    }

    MigrationReport migrate(MigratableVm source, MigrationConfig config, ProgressListener listener) {
        return new SourceMigration(source, address(), config, listener).run();
    }

    ArrivedVm awaitArrival() throws InterruptedException {
        ArrivedVm vm = arrived.poll(60, TimeUnit.SECONDS);
        if (vm == null) {
            throw new AssertionError("no guest arrived; failures: " + failures);
        }
        return vm;
    }

    @Override
    public void onResumed(ArrivedVm vm) {
        arrived.add(vm);
    }

    @Override
    public void beforeResume(MachineLayout layout) {
        beforeResume.accept(layout);
    }

    @Override
    public void onFailed(String reason) {
        failures.add(reason);
    }

    @Override
    public void onRefusedConnection(String peer, String reason) {
        refused.add(reason);
    }

    @Override
    public void close() {
        server.close();
        ArrivedVm vm;
        while ((vm = arrived.poll()) != null) {
            vm.machine().close();
        }
    }

    static Duration runTimeout() {
        return Duration.ofSeconds(120);
    }
}
