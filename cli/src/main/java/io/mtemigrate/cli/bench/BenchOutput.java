package io.mtemigrate.cli.bench;

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

    static void table(List<CaseResult> results, double memcpyMBps, PrintStream out) {
        out.println("machine: " + machine());
        out.printf(Locale.ROOT, "single-threaded memory copy: %.0f MB/s%n", memcpyMBps);
        out.printf(Locale.ROOT, "%-26s %9s %9s %6s %9s %9s %8s %8s %10s %8s %7s %6s %8s %7s %7s%n", "case", "total ms",
                "downtime", "rounds", "data MB", "tags MB", "hdr MB", "RAM MB/s", "wire MB/s", "raw MB/s", "ratio", "thrtl",
                "mem MiB", "cpu/GB", "raw/GB");
        for (CaseResult r : results) {
            out.printf(Locale.ROOT, "%-26s %9.0f %9.0f %6.0f %9.1f %9.2f %8.2f %8.0f %10s %8.0f %7.2f %6.0f %8.0f %7s %7s%s%n",
                    r.benchCase().name(),
                    r.median(x -> x.report().getTotalTimeMs()), r.median(x -> x.report().getDowntimeMs()),
                    r.median(x -> x.report().getRounds()),
                    r.median(x -> x.report().getPageDataBytes()) / 1e6, r.median(x -> x.report().getTagBytesOnWire()) / 1e6,
                    r.median(BenchRun::headerBytes) / 1e6, r.median(BenchRun::throughputMBps),
                    String.format(Locale.ROOT, "%.0f±%.0f", r.wireMBps(),
                            (r.max(x -> x.report().getThroughputMbps()) - r.min(x -> x.report().getThroughputMbps())) / 2),
                    r.rawMBps(), r.ratioToRaw(), r.median(x -> x.rounds().stream().mapToLong(a -> a[3]).max().orElse(0)),
                    r.median(BenchRun::peakMemoryBytes) / (double) (1L << 20), ProcessCpu.format(r.cpuSecondsPerGB()),
                    ProcessCpu.format(r.rawCpuSecondsPerGB()), r.allCompleted() ? "" : "  FAILED: " + r.runs().get(0).report().getError());
        }
    }

    static String json(List<CaseResult> results, double memcpyMBps) {
        StringBuilder json = new StringBuilder("{\n  \"machine\": \"").append(machine()).append("\",\n");
        json.append("  \"memcpyMBps\": ").append(String.format(Locale.ROOT, "%.1f", memcpyMBps)).append(",\n  \"cases\": [\n");
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

    static String html(List<CaseResult> results, double memcpyMBps) {
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
        page.append(String.format(Locale.ROOT, "<p>single-threaded memory copy: %.0f MB/s</p></body></html>%n", memcpyMBps));
        return page.toString();
    }
}
