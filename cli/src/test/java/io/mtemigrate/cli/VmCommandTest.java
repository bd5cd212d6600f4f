package io.mtemigrate.cli;

import io.mtemigrate.host.Host;
import io.mtemigrate.host.HostConfig;
import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.vmsim.HostMemory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `vm` commands against two in-process hosts on loopback. */
class VmCommandTest {
    private static Host a;
    private static Host b;

    @BeforeAll
    static void start() throws Exception {
        a = host("a");
        b = host("b");
    }

    private static Host host(String name) throws Exception {
        TargetConfig incoming = TargetConfig.loopback()
                .withVms(new EmulatorVmFactory(true, HostMemory.defaultDirectory(), 0, PageSize.SIZE_4K));
        return Host.start(HostConfig.loopback(name, HostMemory.defaultDirectory(), incoming).withMetrics("127.0.0.1", -1));
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    private static String api(Host host) {
        return "127.0.0.1:" + host.apiPort();
    }

    @Test
    void shouldCreateMigrateWatchAndShowAVm(@TempDir Path dir) throws Exception {
        Cli.Run created = Cli.run("vm", "create", "--host", api(a), "--id", "cli1", "--ram", "16M", "--steps", "30000",
                "--dirty-rate", "4M");
        assertEquals(0, created.status(), created.err());
        assertEquals("cli1", created.out().trim());
        Cli.Run list = Cli.run("vm", "list", "--host", api(a));
        assertTrue(list.out().contains("cli1") && list.out().contains("running"), list.out());

        Path json = dir.resolve("migration.json");
        Cli.Run migrated = Cli.run("vm", "migrate", "cli1", "--host", api(a), "--to", "127.0.0.1:" + b.migrationPort(),
                "--max-bandwidth", "16M", "--watch", "--json", json.toString());
        assertEquals(0, migrated.status(), migrated.err());
        assertTrue(migrated.err().contains("Migration: ["), migrated.err());
        assertTrue(migrated.err().contains("first pass"), migrated.err());
        assertTrue(migrated.out().contains(": completed in"), migrated.out());
        assertTrue(Files.readString(json).contains("\"state\": \"MIGRATION_STATE_COMPLETED\""));

        await().atMost(Duration.ofSeconds(10)).until(() -> Cli.run("vm", "show", "cli1", "--host", api(b)).status() == 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> Cli.run("vm", "show", "cli1", "--host", api(b)).out()
                .contains("halted"));
        Cli.Run shown = Cli.run("vm", "show", "cli1", "--host", api(b), "--digests");
        assertEquals(0, shown.status(), shown.err());
        assertTrue(shown.out().contains("at reference   yes"), shown.out());
        assertTrue(shown.out().contains("hops           1"), shown.out());
        assertEquals(0, Cli.run("vm", "destroy", "cli1", "--host", api(b)).status());
    }

    @Test
    void shouldSwitchAMigrationArmedOnRequestToPostcopyWhenToldTo() {
        // Dirtying faster than the cap carries, with a 1 ms limit: pre-copy alone would go round and round.
        Cli.Run created = Cli.run("vm", "create", "--host", api(a), "--id", "cli-pc", "--ram", "8M", "--workload",
                "random", "--dirty-rate", "32M");
        assertEquals(0, created.status(), created.err());
        Cli.Run started = Cli.run("vm", "migrate", "cli-pc", "--host", api(a), "--to", "127.0.0.1:" + b.migrationPort(),
                "--max-bandwidth", "16M", "--downtime-ms", "1", "--no-auto-converge", "--max-rounds", "100000",
                "--postcopy=on-request");
        assertEquals(0, started.status(), started.err());
        String migration = started.out().trim();
        // Asked at once, it switches at the end of the first pass.
        Cli.Run set = Cli.run("vm", "set", migration, "--host", api(a), "--start-postcopy");
        assertEquals(0, set.status(), set.err());
        assertTrue(set.out().contains("post-copy on-request, switch requested"), set.out());
        Cli.Run watched = Cli.run("vm", "watch", migration, "--host", api(a));
        assertEquals(0, watched.status(), watched.err());
        assertTrue(watched.out().contains(": completed in") && watched.out().contains("switched to post-copy at"),
                watched.out());
        await().atMost(Duration.ofSeconds(10)).until(() -> Cli.run("vm", "show", "cli-pc", "--host", api(b)).status() == 0);
        assertEquals(0, Cli.run("vm", "destroy", "cli-pc", "--host", api(b)).status());
    }

    @Test
    void shouldExitWithOneOrTwoForWhatTheHostRefuses() {
        Cli.Run unknown = Cli.run("vm", "show", "nosuch", "--host", api(a));
        assertEquals(1, unknown.status());
        assertTrue(unknown.err().contains("not found: no vm nosuch on host a"), unknown.err());
        Cli.Run cancel = Cli.run("vm", "cancel", "mig-none", "--host", api(a));
        assertEquals(1, cancel.status());
        Cli.Run bad = Cli.run("vm", "create", "--host", api(a), "--ram", "1000");
        assertEquals(2, bad.status(), bad.err());
        Cli.Run usage = Cli.run("vm", "set", "mig-x", "--host", api(a));
        assertEquals(2, usage.status());
        assertTrue(usage.err().contains("give --downtime-ms, --max-bandwidth, --start-postcopy or several"),
                usage.err());
        Cli.Run help = Cli.run("vm", "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("migrate") && help.out().contains("watch"), help.out());
    }
}
