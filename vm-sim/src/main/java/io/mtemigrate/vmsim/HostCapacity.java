package io.mtemigrate.vmsim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How much guest memory this host can still commit in a directory: the kernel's estimate of memory available
 * without swapping ({@code MemAvailable} in {@code /proc/meminfo}) and the free space of the directory's file
 * system, whichever is smaller. Guest memory is a sparse file there ({@link HostMemory}): on tmpfs each page
 * written takes both, and a write beyond either is a SIGBUS or the OOM killer, not an error a VMM can recover from.
 * So like QEMU ("Insufficient free host memory pages available to allocate guest RAM") a VMM asks first.
 *
 * @param memAvailable  bytes, or -1 when the kernel does not say
 * @param directoryFree bytes free for an unprivileged writer in {@code directory}'s file system
 */
public record HostCapacity(Path directory, long memAvailable, long directoryFree) {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    /** Reads both numbers now. */
    public static HostCapacity of(Path directory) {
        long free;
        try {
            free = Files.getFileStore(directory).getUsableSpace();
        } catch (IOException e) {
            throw new InsufficientMemory("cannot find the free space of " + directory + ": " + e.getMessage());
        }
        return new HostCapacity(directory, readMemAvailable(), free);
    }

    private static long readMemAvailable() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or a kernel before 3.14: the file system's free space is all there is to go by.
        }
        return -1;
    }

    /** Bytes that a {@code ramBytes} memory commits when every page is written: data, and tags when it has MTE. */
    public static long backingBytes(long ramBytes, boolean tags) {
        return ramBytes + (tags ? ramBytes >>> KvmConstants.MTE_GRANULE_SHIFT : 0);
    }

    public long committable() {
        return memAvailable < 0 ? directoryFree : Math.min(memAvailable, directoryFree);
    }

    /** Throws, with the numbers, when {@code bytes} for {@code what} do not fit. */
    public void require(long bytes, String what) {
        if (bytes > committable()) {
            throw new InsufficientMemory("not enough free host memory for " + what + ": it needs " + size(bytes)
                    + " and this host can commit " + size(committable()) + " (" + describe() + ")");
        }
    }

    /** "MemAvailable 22.1 GiB, /dev/shm has 24.0 GiB free". */
    public String describe() {
        return (memAvailable < 0 ? "" : "MemAvailable " + size(memAvailable) + ", ") + directory + " has "
                + size(directoryFree) + " free";
    }

    /** Bytes for people: "40.0 GiB". */
    public static String size(long bytes) {
        if (bytes < 1L << 20) {
            return bytes < 1024 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes < 1L << 30 ? String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20))
                : String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
