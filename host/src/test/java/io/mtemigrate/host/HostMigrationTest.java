package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.proto.VmInfo;
import io.mtemigrate.proto.VmState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running MTE guests that hop between hosts again and again, driven only through the API. */
class HostMigrationTest {
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(3, 4);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    @Test
    void shouldEndOnItsReferenceAfterTwentyHopsBetweenTwoHosts() {
        String vm = "pingpong";
        hosts.create(0, vm, Hosts.guest(16 << 20, Workload.ALLOC, 8 << 20, 8, 4096));
        int at = 0;
        int runningAtStart = 0;
        for (int hop = 0; hop < 20; hop++) {
            if (hosts.describe(at, vm, false).getState() == VmState.VM_STATE_RUNNING) {
                runningAtStart++;
            }
            MigrationInfo done = hosts.migrate(at, vm, 1 - at, MigrationOptions.getDefaultInstance());
            assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), done.getError());
            assertEquals(done.getReport().getSourceDigest(), done.getReport().getTargetDigest());
            at = 1 - at;
        }
        VmInfo end = hosts.finish(at, vm);
        assertEquals(20, end.getHops());
        assertEquals(0, end.getTagCheckFaults());
        assertEquals(end.getReferenceDigest(), end.getDigest());
        assertTrue(end.getAtReference());
        assertTrue(runningAtStart >= 10, "the guest ran during most hops, not only after: " + runningAtStart);
        assertEquals(0, hosts.api(1 - at).listVms(io.mtemigrate.proto.ListVmsRequest.getDefaultInstance()).getVmsCount());
    }

    @Test
    void shouldGoAroundARingOfThreeHostsWithSixteenKPages() {
        String vm = "ring";
        hosts.create(0, vm, Hosts.guest(32 << 20, Workload.TAGONLY, 8 << 20, 6, 16384));
        int at = 0;
        for (int hop = 0; hop < 6; hop++) {
            int next = (at + 1) % 3;
            MigrationInfo done = hosts.migrate(at, vm, next, MigrationOptions.newBuilder().setChannels(1).build());
            assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), done.getError());
            at = next;
        }
        assertEquals(0, at);
        VmInfo end = hosts.finish(at, vm);
        assertEquals(6, end.getHops());
        assertEquals("emu", end.getBackend());
        assertTrue(end.getMte());
        assertEquals(0, end.getTagCheckFaults());
        assertTrue(end.getAtReference(), end.getDigest() + " vs reference " + end.getReferenceDigest());
    }
}
