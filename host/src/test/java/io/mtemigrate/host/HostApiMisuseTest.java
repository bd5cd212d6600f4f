package io.mtemigrate.host;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mtemigrate.proto.CreateVmRequest;
import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.proto.ListVmsRequest;
import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationRequest;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.SetMigrationLimitsRequest;
import io.mtemigrate.proto.StartMigrationRequest;
import io.mtemigrate.proto.VmRequest;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each misuse of the API is a clear status with a message, and changes nothing. */
class HostApiMisuseTest {
    private static final long MB = 1_000_000;
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(2, 4);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    private static void assertStatus(Status.Code code, String words, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getStatus().getDescription().contains(words), e.getStatus().getDescription());
    }

    @Test
    void shouldRefuseUnknownIds() {
        assertStatus(Status.Code.NOT_FOUND, "no vm nosuch on host h0",
                () -> hosts.describe(0, "nosuch", false));
        assertStatus(Status.Code.NOT_FOUND, "no vm nosuch",
                () -> hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId("nosuch").build()));
        assertStatus(Status.Code.NOT_FOUND, "no vm nosuch",
                () -> hosts.start(0, "nosuch", 1, MigrationOptions.getDefaultInstance()));
        assertStatus(Status.Code.NOT_FOUND, "no migration mig-x",
                () -> hosts.api(0).cancelMigration(MigrationRequest.newBuilder().setMigrationId("mig-x").build()));
        assertStatus(Status.Code.NOT_FOUND, "no migration mig-x",
                () -> hosts.watch(0, "mig-x"));
    }

    @Test
    void shouldRefuseBadOptionsAndBootNothing() {
        int before = hosts.api(0).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount();
        assertStatus(Status.Code.INVALID_ARGUMENT, "ram_bytes is required",
                () -> hosts.create(0, "bad", GuestSpec.getDefaultInstance()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "workload 'sleepy'",
                () -> hosts.create(0, "bad", GuestSpec.newBuilder().setRamBytes(16 << 20).setWorkload("sleepy").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "page_size 8192",
                () -> hosts.create(0, "bad", GuestSpec.newBuilder().setRamBytes(16 << 20).setPageSize(8192).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "multiple of the page size",
                () -> hosts.create(0, "bad", GuestSpec.newBuilder().setRamBytes(1000).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "backend 'xen'",
                () -> hosts.create(0, "bad", GuestSpec.newBuilder().setRamBytes(16 << 20).setBackend("xen").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "vm_id",
                () -> hosts.api(0).createVm(CreateVmRequest.newBuilder().setVmId("no spaces")
                        .setSpec(GuestSpec.newBuilder().setRamBytes(16 << 20)).build()));
        assertEquals(before, hosts.api(0).listVms(ListVmsRequest.getDefaultInstance()).getVmsCount());

        hosts.create(0, "options", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        assertStatus(Status.Code.INVALID_ARGUMENT, "channels must be 1..16",
                () -> hosts.start(0, "options", 1, MigrationOptions.newBuilder().setChannels(99).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "is not HOST:PORT",
                () -> hosts.api(0).startMigration(StartMigrationRequest.newBuilder().setVmId("options")
                        .setTarget("nowhere").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "not a loopback address",
                () -> hosts.api(0).startMigration(StartMigrationRequest.newBuilder().setVmId("options")
                        .setTarget("192.0.2.1:7777").build()));
        assertStatus(Status.Code.FAILED_PRECONDITION,
                "already runs", () -> hosts.create(0, "options", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 1, 4096)));
        assertEquals(VmState.VM_STATE_RUNNING, hosts.describe(0, "options", false).getState());
        hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId("options").build());
        assertStatus(Status.Code.NOT_FOUND, "no vm options", () -> hosts.describe(0, "options", false));
    }

    @Test
    void shouldRefuseASecondMigrationAndStepsOnAFinishedOne() {
        hosts.create(0, "busy", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        MigrationInfo first = hosts.start(0, "busy", 1, MigrationOptions.newBuilder().setMaxBandwidth(8 * MB).build());
        assertStatus(Status.Code.FAILED_PRECONDITION, "is migrating (" + first.getMigrationId(),
                () -> hosts.start(0, "busy", 1, MigrationOptions.getDefaultInstance()));
        assertStatus(Status.Code.FAILED_PRECONDITION, "cannot destroy it",
                () -> hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId("busy").build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "downtime_ms must be positive",
                () -> hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                        .setMigrationId(first.getMigrationId()).setDowntimeMs(0).build()));
        MigrationInfo done = hosts.watch(0, first.getMigrationId()).getLast().getFinished();
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), done.getError());
        MigrationRequest finished = MigrationRequest.newBuilder().setMigrationId(first.getMigrationId()).build();
        assertStatus(Status.Code.FAILED_PRECONDITION, "has already ended (completed): nothing to cancel",
                () -> hosts.api(0).cancelMigration(finished));
        assertStatus(Status.Code.FAILED_PRECONDITION, "has already ended",
                () -> hosts.api(0).setMigrationLimits(SetMigrationLimitsRequest.newBuilder()
                        .setMigrationId(first.getMigrationId()).setMaxBandwidth(1).build()));
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, hosts.api(0).describeMigration(finished).getState());
        // A finished migration still answers a watcher, with its outcome.
        assertEquals(MigrationState.MIGRATION_STATE_COMPLETED,
                hosts.watch(0, first.getMigrationId()).getLast().getFinished().getState());
        hosts.awaitVm(1, "busy");
        hosts.api(1).destroyVm(VmRequest.newBuilder().setVmId("busy").build());
    }

    @Test
    void shouldPauseAndResumeAndRefuseToMigrateAPausedVm() {
        hosts.create(0, "paused", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        assertEquals(VmState.VM_STATE_PAUSED, hosts.api(0).pauseVm(VmRequest.newBuilder().setVmId("paused").build())
                .getState());
        long steps = hosts.describe(0, "paused", false).getStepsDone();
        assertStatus(Status.Code.FAILED_PRECONDITION, "is paused",
                () -> hosts.start(0, "paused", 1, MigrationOptions.getDefaultInstance()));
        assertEquals(steps, hosts.describe(0, "paused", false).getStepsDone());
        hosts.api(0).resumeVm(VmRequest.newBuilder().setVmId("paused").build());
        await().atMost(Duration.ofSeconds(10)).until(() -> hosts.describe(0, "paused", false).getStepsDone() > steps);
        hosts.api(0).destroyVm(VmRequest.newBuilder().setVmId("paused").build());
    }
}
