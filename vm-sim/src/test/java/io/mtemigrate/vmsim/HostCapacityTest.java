package io.mtemigrate.vmsim;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostCapacityTest {
    private static final Path SHM = Path.of("/dev/shm");

    @Test
    void shouldCommitNoMoreThanTheSmallerOfAvailableMemoryAndFreeSpace() {
        assertEquals(5L << 30, new HostCapacity(SHM, 5L << 30, 8L << 30).committable());
        assertEquals(3L << 30, new HostCapacity(SHM, 5L << 30, 3L << 30).committable());
        assertEquals(3L << 30, new HostCapacity(SHM, -1, 3L << 30).committable(), "no MemAvailable: the file system");
    }

    @Test
    void shouldRefuseWhatDoesNotFitWithTheNumbers() {
        HostCapacity host = new HostCapacity(SHM, 22L << 30, 24L << 30);

        InsufficientMemory refused = assertThrows(InsufficientMemory.class,
                () -> host.require(HostCapacity.backingBytes(40L << 30, true), "a 40 GiB guest"));

        assertEquals("not enough free host memory for a 40 GiB guest: it needs 42.5 GiB and this host can commit"
                + " 22.0 GiB (MemAvailable 22.0 GiB, /dev/shm has 24.0 GiB free)", refused.getMessage());
    }

    @Test
    void shouldAcceptWhatFitsExactly() {
        new HostCapacity(SHM, 1L << 30, 1L << 30).require(1L << 30, "a 1 GiB guest");
    }

    @Test
    void shouldReadThisHostsNumbers() {
        HostCapacity host = HostCapacity.of(HostMemory.defaultDirectory());

        assertTrue(host.memAvailable() > 0, "MemAvailable from /proc/meminfo: " + host.memAvailable());
        assertTrue(host.directoryFree() > 0, "free space of " + host.directory() + ": " + host.directoryFree());
    }
}
