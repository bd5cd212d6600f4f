package io.mtemigrate.host;

import io.mtemigrate.proto.MigrationInfo;
import io.mtemigrate.proto.MigrationOptions;
import io.mtemigrate.proto.MigrationState;
import io.mtemigrate.vmsim.guest.Workload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Prometheus endpoint, scraped over HTTP as Prometheus would. */
class HostMetricsTest {
    private static Hosts hosts;

    @BeforeAll
    static void start() throws Exception {
        hosts = new Hosts(2, 4);
    }

    @AfterAll
    static void stop() {
        hosts.close();
    }

    private static String scrape(int host) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + hosts.hosts.get(host).metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            return response.body();
        }
    }

    @Test
    void shouldCountMigrationsBytesAndVms() throws Exception {
        hosts.create(0, "m1", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        hosts.create(0, "m2", Hosts.guest(16 << 20, Workload.ALLOC, 1 << 20, 30, 4096));
        for (int i = 0; i < 3; i++) {
            MigrationInfo done = hosts.migrate(i % 2, "m1", 1 - i % 2, MigrationOptions.getDefaultInstance());
            assertEquals(MigrationState.MIGRATION_STATE_COMPLETED, done.getState(), done.getError());
        }
        MigrationInfo failed = hosts.migrate(0, "m2", 1, MigrationOptions.newBuilder().setMaxBandwidth(1_000_000)
                .setTimeoutMs(200).build());
        assertEquals(MigrationState.MIGRATION_STATE_FAILED, failed.getState());

        String a = scrape(0);
        String b = scrape(1);
        assertTrue(a.contains("mte_migrate_migrations_total{direction=\"outgoing\",outcome=\"completed\"} 2.0"), a);
        assertTrue(a.contains("mte_migrate_migrations_total{direction=\"outgoing\",outcome=\"failed\"} 1.0"), a);
        assertTrue(a.contains("mte_migrate_migrations_total{direction=\"incoming\",outcome=\"completed\"} 1.0"), a);
        assertTrue(b.contains("mte_migrate_migrations_total{direction=\"outgoing\",outcome=\"completed\"} 1.0"), b);
        assertTrue(b.contains("mte_migrate_migrations_total{direction=\"incoming\",outcome=\"completed\"} 2.0"), b);
        assertTrue(a.contains("mte_migrate_vms_hosted 1.0"), a);
        assertTrue(b.contains("mte_migrate_vms_hosted 1.0"), b);
        assertTrue(a.contains("mte_migrate_migration_downtime_seconds_count 2"), a);
        assertTrue(a.contains("mte_migrate_migration_total_time_seconds_count 3"), a);
        assertTrue(a.matches("(?s).*mte_migrate_migration_bytes_total\\{kind=\"tags\"} [1-9].*"), a);
        assertTrue(a.matches("(?s).*mte_migrate_migration_bytes_total\\{kind=\"page_data\"} [1-9].*"), a);
    }
}
