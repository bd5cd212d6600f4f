package io.mtemigrate.vmsim.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A memory file (memfd, or an unlinked file of a directory) mapped shared, through libc and the FFM API: the way a
 * VMM backs guest RAM so that it can find never-written ranges with {@code SEEK_DATA}/{@code SEEK_HOLE}.
 *
 * <p>The mapping is owned by an automatic arena: it is unmapped once nothing (no segment, no buffer made from it,
 * no NIO operation in flight) can reach it any more, never while someone may still read it. {@link #close} only
 * gives the pages back (truncates to 0) and closes the descriptor.
 *
 * <p>The constants are the Linux ones; they are the same on x86-64 and arm64 except {@code O_TMPFILE}, which
 * contains {@code O_DIRECTORY} (a per-architecture value).
 */
public final class LinuxMemoryFile implements AutoCloseable {
    /** memfd_create: close the descriptor on exec (linux/memfd.h). */
    static final int MFD_CLOEXEC = 0x0001;
    /** open flags (asm-generic/fcntl.h, same on x86-64 and arm64). */
    static final int O_RDWR = 02;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_CLOEXEC = 02000000;
    /** __O_TMPFILE | O_DIRECTORY: O_DIRECTORY is 0200000 on x86-64 (asm-generic) but 040000 on arm64. */
    static final int O_TMPFILE = 020000000 | ("aarch64".equals(System.getProperty("os.arch")) ? 040000 : 0200000);
    /** mmap (asm-generic/mman-common.h, mman.h). */
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    /** madvise: fault pages in writable without changing them (Linux 5.14+). */
    static final int MADV_POPULATE_WRITE = 23;
    /** fallocate modes (linux/falloc.h). */
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** lseek whence (linux/fs.h). */
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    /** errno values (asm-generic/errno-base.h, errno.h). */
    static final int ENXIO = 6;
    static final int EFAULT = 14;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** One errno slot per thread, so that the cheap calls (lseek) allocate nothing. */
    private static final ThreadLocal<MemorySegment> CALL_STATE_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final MethodHandle MEMFD_CREATE = function("memfd_create",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle OPEN = function("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FTRUNCATE = function("ftruncate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MMAP = function("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = function("munmap",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle LSEEK = function("lseek",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MADVISE = function("madvise",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle FALLOCATE = function("fallocate", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle PWRITE = function("pwrite", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERRORNAME_NP = LINKER.downcallHandle(
            LIBC.find("strerrorname_np").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private final int fd;
    private final long size;
    private final String description;
    private final MemorySegment segment;
    private volatile boolean closed;

    private LinuxMemoryFile(int fd, long size, String description) {
        this.fd = fd;
        this.size = size;
        this.description = description;
        try {
            check((int) call(FTRUNCATE, fd, size), "ftruncate", description + " to " + size + " bytes");
            long address = check(((MemorySegment) call(MMAP, MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_SHARED, fd, 0L)).address(), "mmap", size + " bytes shared of " + description);
            this.segment = MemorySegment.ofAddress(address).reinterpret(size, Arena.ofAuto(), mapping -> unmap(address, size));
        } catch (RuntimeException e) {
            call(CLOSE, fd);
            throw e;
        }
    }

    /** An anonymous memory file ({@code memfd_create}): shmem, so it can hold tags and has holes. */
    public static LinuxMemoryFile memfd(String name, long size) {
        requirePositive(size);
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) call(MEMFD_CREATE, arena.allocateFrom(name), MFD_CLOEXEC);
            check(fd, "memfd_create", "\"" + name + "\" for " + size + " bytes");
            return new LinuxMemoryFile(fd, size, "memfd " + name);
        }
    }

    /**
     * A file of {@code directory} that has no name ({@code O_TMPFILE}), or that is unlinked at once when the file
     * system refuses O_TMPFILE.
     */
    public static LinuxMemoryFile inDirectory(Path directory, long size) {
        requirePositive(size);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = CALL_STATE_SLOT.get();
            int fd = (int) call(OPEN, arena.allocateFrom(directory.toString()), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
            if (fd >= 0) {
                return new LinuxMemoryFile(fd, size, "unnamed file in " + directory);
            }
            int errno = (int) ERRNO.get(state, 0L);
            if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
                throw failure("open(O_TMPFILE)", errno, directory + " for " + size + " bytes");
            }
            Path file = directory.resolve("mte-migrate-ram-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            fd = (int) call(OPEN, arena.allocateFrom(file.toString()), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
            check(fd, "open(O_CREAT | O_EXCL)", file + " for " + size + " bytes");
            try {
                Files.delete(file);
            } catch (IOException e) {
                call(CLOSE, fd);
                throw new UncheckedIOException("cannot unlink the memory file " + file, e);
            }
            return new LinuxMemoryFile(fd, size, "unlinked file in " + directory);
        }
    }

    /** The whole mapping. */
    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return size;
    }

    /** The first offset at or after {@code offset} that holds data, or {@link #size()} when none does. */
    public long nextData(long offset) {
        return seek(offset, SEEK_DATA, "SEEK_DATA");
    }

    /** The first offset at or after {@code offset} in a hole; {@link #size()} counts as one (the end of file). */
    public long nextHole(long offset) {
        return seek(offset, SEEK_HOLE, "SEEK_HOLE");
    }

    private long seek(long offset, int whence, String name) {
        if (offset < 0) {
            throw new IndexOutOfBoundsException(name + " at negative offset " + offset + " of " + description);
        }
        if (offset >= size) {
            return size;
        }
        if (closed) {
            // Its descriptor number may already name another file.
            throw new IllegalStateException(name + " at " + offset + " of " + description + ", which is closed");
        }
        MemorySegment state = CALL_STATE_SLOT.get();
        long found;
        try {
            found = (long) LSEEK.invokeExact(state, fd, offset, whence);
        } catch (Throwable e) {
            throw new IllegalStateException("calling lseek failed", e);
        }
        if (found >= 0) {
            return Math.min(found, size);
        }
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == ENXIO) {
            return size;
        }
        throw failure("lseek(" + name + ")", errno, "at " + offset + " of " + size + " bytes of " + description);
    }

    /**
     * Faults in writable the {@code length} bytes at {@code offset} without changing them
     * ({@code MADV_POPULATE_WRITE}).
     *
     * @return false when the kernel does not know the advice (before Linux 5.14): the caller must touch the pages
     */
    public boolean populateWrite(long offset, long length) {
        if ((int) call(MADVISE, segment.asSlice(offset, length), length, MADV_POPULATE_WRITE) == 0) {
            return true;
        }
        int errno = (int) ERRNO.get(CALL_STATE_SLOT.get(), 0L);
        if (errno == EINVAL) {
            return false;
        }
        throw failure("madvise(MADV_POPULATE_WRITE)", errno, length + " bytes at " + offset + " of " + size
                + " bytes of " + description + (errno == EFAULT ? " (is its file system full?)" : ""));
    }

    /**
     * Writes {@code src} at {@code offset} with {@code pwrite}: the kernel fills the file's pages, allocating those
     * that were holes, without a page fault through the mapping for each of them (which on a virtualised host costs
     * far more than the copy). The mapping sees the data at once: it is the same page cache.
     */
    public void write(long offset, MemorySegment src) {
        MemorySegment state = CALL_STATE_SLOT.get();
        long done = 0;
        while (done < src.byteSize()) {
            long n;
            try {
                // invokeExact: the generic call boxes its arguments, and this runs for every install.
                n = (long) PWRITE.invokeExact(state, fd, src.asSlice(done), src.byteSize() - done, offset + done);
            } catch (Throwable e) {
                throw new IllegalStateException("calling pwrite failed", e);
            }
            if (n <= 0) {
                throw failure("pwrite", (int) ERRNO.get(state, 0L), (src.byteSize() - done) + " bytes at "
                        + (offset + done) + " of " + description);
            }
            done += n;
        }
    }

    /**
     * Turns {@code [offset, offset + length)} back into a hole ({@code fallocate(PUNCH_HOLE | KEEP_SIZE)}): the
     * pages are given back and read as zero again, also through the mapping, and {@link #nextData} skips them.
     */
    public void punchHole(long offset, long length) {
        if (closed) {
            throw new IllegalStateException("punching a hole into " + description + ", which is closed");
        }
        if ((int) call(FALLOCATE, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) != 0) {
            throw failure("fallocate(PUNCH_HOLE)", (int) ERRNO.get(CALL_STATE_SLOT.get(), 0L), length + " bytes at "
                    + offset + " of " + description);
        }
    }

    /**
     * Gives the memory back to the host at once (truncates to 0) and closes the descriptor. The mapping stays until
     * nothing reaches it, but touching it afterwards faults: stop its users first.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int truncated = (int) call(FTRUNCATE, fd, 0L);
        int truncateErrno = (int) ERRNO.get(CALL_STATE_SLOT.get(), 0L);
        int closedFd = (int) call(CLOSE, fd);
        if (truncated != 0) {
            throw failure("ftruncate", truncateErrno, "to 0 bytes (release) of " + description);
        }
        if (closedFd != 0) {
            throw failure("close", (int) ERRNO.get(CALL_STATE_SLOT.get(), 0L), description);
        }
    }

    private static void unmap(long address, long size) {
        // Runs on the cleaner thread once the mapping is unreachable: there is nobody left to tell of a failure.
        call(MUNMAP, MemorySegment.ofAddress(address), size);
    }

    private static void requirePositive(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("a memory file needs a positive size, not " + size);
        }
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, all);
    }

    /** Calls a libc function whose errno is captured into this thread's slot. */
    private static Object call(MethodHandle function, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = CALL_STATE_SLOT.get();
        System.arraycopy(args, 0, all, 1, args.length);
        try {
            return function.invokeWithArguments(all);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling libc failed", e);
        }
    }

    private static long check(long result, String call, String what) {
        if (result == -1) {
            throw failure(call, (int) ERRNO.get(CALL_STATE_SLOT.get(), 0L), what);
        }
        return result;
    }

    private static OsCallException failure(String call, int errno, String what) {
        return new OsCallException(call, errno, errnoName(errno), what);
    }

    static String errnoName(int errno) {
        try {
            MemorySegment name = (MemorySegment) STRERRORNAME_NP.invokeExact(errno);
            return name.equals(MemorySegment.NULL) ? "errno " + errno : name.reinterpret(64).getString(0);
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }
}
