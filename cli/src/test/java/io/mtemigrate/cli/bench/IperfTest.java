package io.mtemigrate.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class IperfTest {
    @Test
    void shouldSkipWithANoteWhenIperf3IsNotInstalled() throws Exception {
        Iperf.Result result = new Iperf("iperf3-that-is-not-installed").run(2, 1);
        assertFalse(result.measured());
        assertTrue(result.note().contains("not installed"), result.note());
        assertTrue(result.describe().contains("skipped"), result.describe());
    }

    @Test
    void shouldSkipWithIperf3sOwnReasonWhenItsServerCannotStart(@TempDir Path dir) throws Exception {
        Path fake = executable(dir.resolve("iperf3"), "echo 'iperf3: error - unable to start listener for connections:"
                + " Address already in use' >&2; exit 1");
        Iperf.Result result = new Iperf(fake.toString()).run(2, 1);
        assertFalse(result.measured());
        assertTrue(result.note().contains("exited before listening") && result.note().contains("Address already in use"),
                result.note());
    }

    @Test
    void shouldTakeTheRateTheReceiverCounted() {
        String json = """
                {"end": {"sum_sent": {"seconds": 5, "bytes": 1, "bits_per_second": 81000000000, "retransmits": 0},
                         "sum_received": {"seconds": 5, "bytes": 1, "bits_per_second": 8.0E10, "sender": true}}}""";
        assertEquals(10_000, Iperf.parse(json), 1e-9);
    }

    @Test
    void shouldSayWhatIperf3ReportedWhenThereIsNoRate() {
        BenchFailure e = org.junit.jupiter.api.Assertions.assertThrows(BenchFailure.class,
                () -> Iperf.parse("{\"start\": {}, \"error\": \"unable to connect to server: Connection refused\"}"));
        assertEquals("iperf3 gave no received rate: unable to connect to server: Connection refused", e.getMessage());
    }

    @Test
    void shouldMeasureLoopbackWhenIperf3IsInstalled() throws Exception {
        assumeTrue(Iperf.find("iperf3") != null, "iperf3 is not installed");
        Iperf.Result result = new Iperf("iperf3").run(1, 1);
        assertTrue(result.measured() && result.mbps() > 0, result.describe());
    }

    static Path executable(Path path, String script) throws Exception {
        Files.writeString(path, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
