package io.mtemigrate.host;

import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmOrigin;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.digest.RamDigest;
import io.mtemigrate.vmsim.digest.VmDigests;
import io.mtemigrate.vmsim.vmm.GuestProgress;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One VM this host runs, booted here or arrived, with what it knows of the guest's origin. The monitor guards the
 * VM's state against concurrent API calls; a migration under way owns the vCPUs' pausing.
 */
final class HostedVm {
    private final VmOrigin origin;
    private final MigratableVm machine;
    private OutgoingMigration migration;
    private final Object referenceLock = new Object();
    private Long referenceDigest;
    private boolean closed;

    /** @param machine started by the caller; this host closes it */
    HostedVm(VmOrigin origin, MigratableVm machine) {
        this.origin = origin;
        this.machine = new OriginVm(machine, origin.toByteArray());
    }

    String id() {
        return origin.getVmId();
    }

    VmOrigin origin() {
        return origin;
    }

    GuestSpec spec() {
        return origin.getSpec();
    }

    /** What the engine migrates: the VM whose layout carries this origin. */
    MigratableVm machine() {
        return machine;
    }

    synchronized OutgoingMigration migration() {
        return migration;
    }

    /** Marks the VM as leaving; refused when a migration is under way or the user paused it. */
    synchronized void beginMigration(OutgoingMigration next) {
        requireNoMigration("migrate");
        if (machine.vcpusPaused()) {
            throw ApiException.precondition("vm " + id() + " is paused: resume it before migrating it (a failed"
                    + " migration resumes the guest it stopped)");
        }
        migration = next;
    }

    synchronized void endMigration() {
        migration = null;
    }

    synchronized void requireNoMigration(String action) {
        if (closed) {
            throw ApiException.notFound("vm " + id() + " is gone");
        }
        if (migration != null) {
            throw ApiException.precondition("vm " + id() + " is migrating (" + migration.id() + " to "
                    + migration.target() + "): cannot " + action + " it until that ends; cancel it first");
        }
    }

    synchronized void pause() {
        requireNoMigration("pause");
        if (!machine.vcpusPaused()) {
            machine.pauseVcpus();
        }
    }

    synchronized void resume() {
        requireNoMigration("resume");
        if (machine.vcpusPaused()) {
            machine.resumeVcpus();
        }
    }

    /** Stops the guest for good; refused while it migrates. */
    synchronized void destroy() {
        requireNoMigration("destroy");
        close();
    }

    /** After it left for another host, or when the host stops. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            machine.close();
        }
    }

    VmState state() {
        synchronized (this) {
            if (migration != null) {
                return VmState.VM_STATE_MIGRATING;
            }
        }
        if (machine.vcpuFailure() != null) {
            return VmState.VM_STATE_FAILED;
        }
        if (halted()) {
            return VmState.VM_STATE_HALTED;
        }
        return machine.vcpusPaused() ? VmState.VM_STATE_PAUSED : VmState.VM_STATE_RUNNING;
    }

    private boolean halted() {
        try {
            return spec().getSteps() > 0 && machine.awaitHalted(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * What DescribeVm says. A running guest is paused for the moment it takes to read its steps (and digest): vCPU
     * state is readable only then, and its program resumes exactly where it stopped.
     */
    VmInfo describe(String hostName, boolean digests, Path memoryDirectory) throws InterruptedException {
        // Before the pause: the reference run takes as long as the guest's whole run.
        long reference = digests ? referenceDigest(memoryDirectory) : 0;
        synchronized (this) {
            return describe(hostName, digests, reference);
        }
    }

    private VmInfo describe(String hostName, boolean digests, long reference) {
        VmState state = state();
        VmInfo.Builder info = VmInfo.newBuilder().setVmId(id()).setState(state).setSpec(spec())
                .setBackend(machine.layout().kind().backend()).setArchitecture(machine.layout().kind().architecture())
                .setMte(machine.layout().mte()).setRamBytes(machine.layout().ramBytes())
                .setStepsTotal(spec().getSteps() * spec().getVcpus()).setHops(origin.getHops()).setHost(hostName);
        if (state == VmState.VM_STATE_MIGRATING) {
            return info.setMigrationId(migration.id()).build();
        }
        if (state == VmState.VM_STATE_FAILED) {
            info.setError(String.valueOf(machine.vcpuFailure().getMessage()));
        }
        boolean pausedHere = state == VmState.VM_STATE_RUNNING;
        if (pausedHere) {
            machine.pauseVcpus();
        }
        try {
            GuestProgress progress = machine.progress();
            info.setStepsDone(progress.steps()).setTagCheckFaults(progress.tagCheckFaults());
            if (digests) {
                long now = VmDigests.ram(machine);
                info.setDigest(RamDigest.hex(now)).setReferenceDigest(RamDigest.hex(reference))
                        .setAtReference(state == VmState.VM_STATE_HALTED && now == reference);
            }
        } finally {
            if (pausedHere) {
                machine.resumeVcpus();
            }
        }
        return info.build();
    }

    /** Computed once, on the first request: most VMs are never asked. */
    private long referenceDigest(Path memoryDirectory) throws InterruptedException {
        synchronized (referenceLock) {
            if (referenceDigest == null) {
                referenceDigest = GuestRuns.referenceDigest(spec(), memoryDirectory);
            }
            return referenceDigest;
        }
    }
}
