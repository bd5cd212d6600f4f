package io.mtemigrate.cli.bench;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.proto.ReportJson;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The bench results as a table, as JSON, and as a self-contained HTML page with SVG charts. */
final class BenchOutput {
    private BenchOutput() {
    }

    static String machine() {
        return String.format(Locale.ROOT, "%d cores, %.1f GiB memory, JDK %s (%s)", Runtime.getRuntime().availableProcessors(),
                totalMemory() / (double) (1L << 30), Runtime.version(), System.getProperty("java.vm.name"));
    }

    private static long totalMemory() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : 0;
    }

    static void table(Bench.Results results, PrintStream out) {
        out.println("machine: " + machine());
        out.printf(Locale.ROOT, "single-threaded memory copy: %.0f MB/s%n", results.memcpyMBps());
        out.println(results.iperf().describe());
        out.printf(Locale.ROOT, "%-26s %9s %9s %6s %9s %9s %8s %8s %10s %8s %7s %6s %8s %7s %7s %5s%n", "case", "total ms",
                "downtime", "rounds", "data MB", "tags MB", "hdr MB", "RAM MB/s", "wire MB/s", "raw MB/s", "ratio", "thrtl",
                "mem MiB", "cpu/GB", "raw/GB", "raw n");
        for (CaseResult r : results.cases()) {
            out.printf(Locale.ROOT, "%-26s %9.0f %9.0f %6.0f %9.1f %9.2f %8.2f %8.0f %10s %8.0f %7.2f %6.0f %8.0f %7s %7s %5d%s%n",
                    r.benchCase().name(),
                    r.median(x -> x.report().getTotalTimeMs()), r.median(x -> x.report().getDowntimeMs()),
                    r.median(x -> x.report().getRounds()),
                    r.median(x -> x.report().getPageDataBytes()) / 1e6, r.median(x -> x.report().getTagBytesOnWire()) / 1e6,
                    r.median(BenchRun::headerBytes) / 1e6, r.median(BenchRun::throughputMBps),
                    String.format(Locale.ROOT, "%.0f±%.0f", r.wireMBps(),
                            (r.max(x -> x.report().getThroughputMbps()) - r.min(x -> x.report().getThroughputMbps())) / 2),
                    r.rawMBps(), r.ratioToRaw(), r.median(x -> x.rounds().stream().mapToLong(a -> a[3]).max().orElse(0)),
                    r.median(BenchRun::peakMemoryBytes) / (double) (1L << 20), ProcessCpu.format(r.cpuSecondsPerGB()),
                    ProcessCpu.format(r.rawCpuSecondsPerGB()), r.rawChannels(),
                    r.allCompleted() ? "" : "  FAILED: " + r.runs().get(0).report().getError());
        }
        FreshPair.Result fresh = results.freshPair();
        if (fresh != null) {
            CaseResult warm = results.freshPairReference();
            if (fresh.report() == null) {
                out.printf(Locale.ROOT, "%-26s  FAILED: %s%n", FRESH_PAIR, fresh.error());
            } else {
                MigrationReport m = fresh.report();
                out.printf(Locale.ROOT, "%-26s %9d %9d %6d %9.1f %9.2f %8.2f %8.0f %10.0f %8.0f %7.2f %6s %8s %7s %7s %5s%s%n",
                        FRESH_PAIR, m.getTotalTimeMs(), m.getDowntimeMs(), m.getRounds(), m.getPageDataBytes() / 1e6,
                        m.getTagBytesOnWire() / 1e6, (m.getBytesOnWire() - m.getPageDataBytes() - m.getTagBytesOnWire()) / 1e6,
                        ramMBps(m), m.getThroughputMbps(), warm.rawMBps(), ratio(m.getThroughputMbps(), warm.rawMBps()),
                        "-", "-", "-", "-", "-", fresh.completed() ? "" : "  FAILED: " + fresh.error());
                out.printf(Locale.ROOT, "fresh pair: %.2f of the warm %s case's wire MB/s; %d ms from starting the source"
                        + " process to its exit%n", ratio(m.getThroughputMbps(), warm.wireMBps()), warm.benchCase().name(),
                        fresh.wallMs());
            }
        }
    }

    private static final String FRESH_PAIR = "idle random, fresh pair";

    private static double ramMBps(MigrationReport report) {
        return report.getRamBytes() / 1e6 / Math.max(1e-3, report.getTotalTimeMs() / 1e3);
    }

    private static double ratio(double value, double reference) {
        return reference <= 0 ? 0 : value / reference;
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.1f", value);
    }

    /** A JSON string literal. */
    private static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c < 0x20 ? String.format(Locale.ROOT, "\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    private static String iperfJson(Iperf.Result iperf) {
        return String.format(Locale.ROOT, "{\"mbps\": %s, \"streams\": %d, \"seconds\": %d, \"note\": %s}",
                number(iperf.mbps()), iperf.streams(), iperf.seconds(), quoted(iperf.note()));
    }

    private static String freshPairJson(Bench.Results results) {
        FreshPair.Result fresh = results.freshPair();
        if (fresh == null) {
            return "null";
        }
        CaseResult warm = results.freshPairReference();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"name\": %s, \"completed\": %s, "
                        + "\"wireMBps\": %s, \"ramMBps\": %s, \"rawMBps\": %.1f, \"ratioToRaw\": %s, \"ratioToWarm\": %s, "
                        + "\"wallMs\": %d, \"error\": %s", quoted(FRESH_PAIR), fresh.completed(), number(fresh.wireMBps()),
                fresh.report() == null ? "null" : number(ramMBps(fresh.report())), warm.rawMBps(),
                fresh.report() == null ? "null" : String.format(Locale.ROOT, "%.3f", ratio(fresh.wireMBps(), warm.rawMBps())),
                fresh.report() == null ? "null" : String.format(Locale.ROOT, "%.3f", ratio(fresh.wireMBps(), warm.wireMBps())),
                fresh.wallMs(), quoted(fresh.error())));
        if (fresh.report() != null) {
            json.append(", \"report\":\n").append(ReportJson.print(fresh.report()).replaceAll("(?m)^", "    "));
        }
        return json.append('}').toString();
    }

    private static String html(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String json(Bench.Results all) {
        List<CaseResult> results = all.cases();
        StringBuilder json = new StringBuilder("{\n  \"machine\": \"").append(machine()).append("\",\n");
        json.append("  \"memcpyMBps\": ").append(String.format(Locale.ROOT, "%.1f", all.memcpyMBps())).append(",\n");
        json.append("  \"iperf3\": ").append(iperfJson(all.iperf())).append(",\n");
        json.append("  \"freshPair\": ").append(freshPairJson(all)).append(",\n  \"cases\": [\n");
        for (int i = 0; i < results.size(); i++) {
            CaseResult r = results.get(i);
            json.append(String.format(Locale.ROOT, "    {\"name\": \"%s\", \"rawMBps\": %.1f, \"wireMBps\": %.1f, "
                            + "\"ratioToRaw\": %.3f, \"medianTotalTimeMs\": %.0f, \"medianDowntimeMs\": %.0f, "
                            + "\"medianPeakMemoryBytes\": %.0f, \"cpuSecondsPerGB\": %s, \"rawCpuSecondsPerGB\": %s, "
                            + "\"rawChannels\": %d, \"runs\": [",
                    r.benchCase().name(), r.rawMBps(), r.wireMBps(), r.ratioToRaw(),
                    r.median(x -> x.report().getTotalTimeMs()), r.median(x -> x.report().getDowntimeMs()),
                    r.median(BenchRun::peakMemoryBytes), ProcessCpu.json(r.cpuSecondsPerGB()),
                    ProcessCpu.json(r.rawCpuSecondsPerGB()), r.rawChannels()));
            for (int j = 0; j < r.runs().size(); j++) {
                BenchRun run = r.runs().get(j);
                json.append(j == 0 ? "\n" : ",\n").append(ReportJson.print(run.report().toBuilder()
                        .setPreallocMs(run.preallocMs()).build()).replaceAll("(?m)^", "      "));
            }
            json.append("]}").append(i + 1 < results.size() ? ",\n" : "\n");
        }
        return json.append("  ]\n}\n").toString();
    }

    static String html(Bench.Results all) {
        List<CaseResult> results = all.cases();
        double memcpyMBps = all.memcpyMBps();
        StringBuilder page = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>mte-migrate bench"
                + "</title><style>body{font:14px sans-serif;margin:2em}svg text{font:12px sans-serif}</style></head><body>");
        page.append("<h1>mte-migrate bench</h1><p>").append(machine()).append("</p>");
        page.append("<h2>Throughput per configuration (MB/s on the wire) next to the raw transfer limit</h2>");
        double top = results.stream().mapToDouble(r -> Math.max(r.wireMBps(), r.rawMBps())).max().orElse(1);
        int rowHeight = 44;
        page.append(String.format(Locale.ROOT, "<svg width=\"900\" height=\"%d\">", results.size() * rowHeight + 20));
        for (int i = 0; i < results.size(); i++) {
            CaseResult r = results.get(i);
            int y = i * rowHeight + 10;
            double wire = 560 * r.wireMBps() / top;
            double raw = 560 * r.rawMBps() / top;
            page.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\">%s</text>", y + 14, r.benchCase().name()))
                    .append(String.format(Locale.ROOT, "<rect x=\"200\" y=\"%d\" width=\"%.0f\" height=\"16\" fill=\"#3b7dd8\"/>", y, wire))
                    .append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%d\">%.0f MB/s (%.2f of raw)</text>", 205 + wire, y + 13, r.wireMBps(), r.ratioToRaw()))
                    .append(String.format(Locale.ROOT, "<rect x=\"200\" y=\"%d\" width=\"%.0f\" height=\"10\" fill=\"#bbb\"/>", y + 18, raw))
                    .append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%d\">raw %.0f</text>", 205 + raw, y + 27, r.rawMBps()));
        }
        page.append("</svg>");
        for (CaseResult r : results) {
            List<long[]> rounds = r.runs().get(0).rounds();
            if (rounds.size() < 2) {
                continue;
            }
            page.append("<h2>").append(r.benchCase().name()).append(": bytes on the wire and dirty rate per round</h2>");
            long maxBytes = rounds.stream().mapToLong(a -> a[1]).max().orElse(1);
            long maxRate = Math.max(1, rounds.stream().mapToLong(a -> a[2]).max().orElse(1));
            int width = 40;
            page.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"240\">", rounds.size() * width + 60));
            for (int i = 0; i < rounds.size(); i++) {
                long[] round = rounds.get(i);
                double h = 180.0 * round[1] / maxBytes;
                double rate = 180.0 * round[2] / maxRate;
                int x = 40 + i * width;
                page.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.0f\" width=\"16\" height=\"%.0f\" fill=\"#3b7dd8\"/>", x, 200 - h, h))
                        .append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.0f\" width=\"16\" height=\"%.0f\" fill=\"#e8833a\"/>", x + 17, 200 - rate, rate))
                        .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"218\">r%d</text><text x=\"%d\" y=\"234\">%d%%</text>", x, round[0], x, round[3]));
            }
            page.append("</svg><p>blue: bytes sent so far (max ").append(maxBytes / 1_000_000)
                    .append(" MB); orange: dirty rate (max ").append(maxRate / 1_000_000)
                    .append(" MB/s); bottom: round and throttle</p>");
        }
        page.append("<p>").append(html(all.iperf().describe())).append("</p>");
        if (all.freshPair() != null) {
            FreshPair.Result fresh = all.freshPair();
            page.append("<p>").append(FRESH_PAIR).append(": ").append(fresh.report() == null ? "failed: " + html(fresh.error())
                    : String.format(Locale.ROOT, "%.0f MB/s on the wire (%.2f of the warm case, %.2f of raw)%s",
                    fresh.wireMBps(), ratio(fresh.wireMBps(), all.freshPairReference().wireMBps()),
                    ratio(fresh.wireMBps(), all.freshPairReference().rawMBps()),
                    fresh.completed() ? "" : ", failed: " + html(fresh.error()))).append("</p>");
        }
        page.append(String.format(Locale.ROOT, "<p>single-threaded memory copy: %.0f MB/s</p></body></html>%n", memcpyMBps));
        return page.toString();
    }
}
