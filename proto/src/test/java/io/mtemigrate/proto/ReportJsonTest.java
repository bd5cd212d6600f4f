package io.mtemigrate.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportJsonTest {

    /** The public contract of DESIGN.md: these keys may only grow, never change. */
    private static final List<String> CONTRACT_KEYS = List.of(
            "status", "ramBytes", "pageSize", "vcpus", "rounds", "totalTimeMs", "downtimeMs",
            "bytesOnWire", "pageDataBytes", "tagBytesOnWire", "pagesSent", "zeroPages",
            "throughputMBps", "sourceDigest", "targetDigest", "tagCheckFaults", "finalDigest",
            "referenceDigest", "error", "preallocMs", "verifyMs", "roundsWithTornPages", "maxThrottle");

    private static final List<String> POSTCOPY_KEYS = List.of(
            "switchAtMs", "pagesAfterSwitch", "postcopyMs", "faults", "requests", "faultLatencyP50Us",
            "faultLatencyP99Us", "faultLatencyMaxUs", "recoveries");

    @Test
    void shouldPrintEveryContractKeyEvenForAnEmptyReport() {
        JsonObject json = JsonParser.parseString(ReportJson.print(MigrationReport.getDefaultInstance()))
                .getAsJsonObject();

        assertEquals(CONTRACT_KEYS, new ArrayList<>(json.keySet()));
    }

    @Test
    void shouldPrintThePostcopyObjectWithEveryKeyOnlyWhenTheMigrationSwitched() {
        JsonObject switched = JsonParser.parseString(ReportJson.print(MigrationReport.newBuilder()
                .setPostcopy(PostcopyReport.newBuilder().setSwitchAtMs(812).setFaultLatencyP99Us(900)).build()))
                .getAsJsonObject();

        assertEquals(POSTCOPY_KEYS, new ArrayList<>(switched.getAsJsonObject("postcopy").keySet()));
        assertEquals("812", switched.getAsJsonObject("postcopy").get("switchAtMs").getAsString());
        assertFalse(JsonParser.parseString(ReportJson.print(MigrationReport.getDefaultInstance())).getAsJsonObject()
                .has("postcopy"), "a pre-copy report has no postcopy key: its absence says there was no switch");
    }

    @Test
    void shouldSpellThroughputWithCapitalMB() {
        String json = ReportJson.print(MigrationReport.newBuilder().setThroughputMbps(812.5).build());

        assertTrue(json.contains("\"throughputMBps\": 812.5"), json);
    }

    @Test
    void shouldRoundTripAFilledReport() throws Exception {
        MigrationReport report = MigrationReport.newBuilder()
                .setStatus(ReportJson.STATUS_COMPLETED)
                .setRamBytes(1L << 30).setPageSize(4096).setVcpus(4).setRounds(7)
                .setTotalTimeMs(1234).setDowntimeMs(42).setBytesOnWire(1_100_000_000L)
                .setPageDataBytes(1_070_000_000L).setTagBytesOnWire(400_000).setPagesSent(300_000)
                .setZeroPages(12_000).setThroughputMbps(891.4)
                .setSourceDigest(ReportJson.digest(0x00ab_cdef_0123_4567L))
                .setTargetDigest(ReportJson.digest(0x00ab_cdef_0123_4567L))
                .setTagCheckFaults(3).setFinalDigest(ReportJson.digest(-1L))
                .setReferenceDigest(ReportJson.digest(-1L)).setError("").setMaxThrottle(40)
                .setPostcopy(PostcopyReport.newBuilder().setSwitchAtMs(812).setPagesAfterSwitch(4096)
                        .setPostcopyMs(345).setFaults(57).setRequests(50).setFaultLatencyP50Us(120)
                        .setFaultLatencyP99Us(900).setFaultLatencyMaxUs(1500).setRecoveries(1))
                .build();

        assertEquals(report, ReportJson.parse(ReportJson.print(report)));
    }

    @Test
    void shouldPrintDigestsAsSixteenHexDigits() {
        assertEquals("000000000000002a", ReportJson.digest(42));
        assertEquals("ffffffffffffffff", ReportJson.digest(-1L));
    }

    @Test
    void shouldIgnoreKeysAddedByANewerWriter() throws Exception {
        MigrationReport report = ReportJson.parse("{\"status\": \"failed\", \"someFutureKey\": 1}");

        assertEquals(ReportJson.STATUS_FAILED, report.getStatus());
    }
}
