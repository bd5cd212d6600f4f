package io.mtemigrate.cli;

import java.time.Duration;
import java.util.Locale;

/** Parses the sizes, rates and durations users type: 1G, 512M, 64K, max, 30s, 500ms, 2m. */
final class Units {
    private Units() {
    }

    /** Bytes: a whole number with an optional K, M or G suffix (powers of 1024). */
    static long size(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long multiplier = 1;
        if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
            multiplier = switch (t.charAt(t.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            long value = Long.parseLong(t);
            if (value < 0) {
                throw new IllegalArgumentException("'" + text + "' is negative");
            }
            return Math.multiplyExact(value, multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (a whole number with an optional K, M or G suffix)");
        }
    }

    /** Bytes per second; "max" (flat out) is 0. */
    static long rate(String text) {
        if (text.trim().equalsIgnoreCase("max")) {
            return 0;
        }
        try {
            return size(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate (bytes per second: a whole number with an"
                    + " optional K, M or G suffix, or max)");
        }
    }

    /** A duration that is not negative: 500ms, 30s, 2m, 1h, or plain seconds. */
    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("'" + text + "' is negative (e.g. 500ms, 30s, 2m, 1h)");
        }
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 30s, 2m, 1h)");
        }
    }

    static String bytes(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }
}
