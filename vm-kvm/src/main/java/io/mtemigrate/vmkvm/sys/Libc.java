package io.mtemigrate.vmkvm.sys;

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

/**
 * The few libc calls a VMM needs around {@code /dev/kvm}, through the FFM API. Calls answer the kernel's way: a
 * negative result is {@code -errno}, so that the hot one ({@code KVM_RUN}) costs no exception and no allocation,
 * and the caller decides which errno is a failure ({@code EINTR} from {@code KVM_RUN} is not).
 */
public final class Libc {
    /** open flags (asm-generic/fcntl.h; the same on x86-64 and arm64). */
    public static final int O_RDWR = 02;
    public static final int O_CLOEXEC = 02000000;
    /** mmap (asm-generic/mman-common.h). */
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    /** errno values (asm-generic/errno-base.h). */
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EINVAL = 22;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** One errno slot per thread: the vCPU threads call ioctl in a loop and must not allocate. */
    private static final ThreadLocal<MemorySegment> CALL_STATE_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final MethodHandle OPEN = function("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** ioctl(int, unsigned long, ...) with an integer argument, or none (the kernel ignores it then). */
    private static final MethodHandle IOCTL_VALUE = function("ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.firstVariadicArg(2));
    /** ioctl with a pointer argument: passing the segment keeps it alive for the call. */
    private static final MethodHandle IOCTL_POINTER = function("ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = function("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = function("munmap",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle STRERRORNAME_NP = LINKER.downcallHandle(LIBC.find("strerrorname_np").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Libc() {
    }

    /** {@code open(path, flags)}: a descriptor, or {@code -errno}. */
    public static int open(String path, int flags) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try (Arena arena = Arena.ofConfined()) {
            return result((int) OPEN.invokeExact(state, arena.allocateFrom(path), flags), state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code close(fd)}: 0 or {@code -errno}. */
    public static int close(int fd) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try {
            return result((int) CLOSE.invokeExact(state, fd), state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code ioctl(fd, request, arg)}: the ioctl's result, or {@code -errno}. */
    public static int ioctl(int fd, long request, long arg) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try {
            return result((int) IOCTL_VALUE.invokeExact(state, fd, request, arg), state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code ioctl(fd, request, struct)}: the ioctl's result, or {@code -errno}. */
    public static int ioctl(int fd, long request, MemorySegment struct) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try {
            return result((int) IOCTL_POINTER.invokeExact(state, fd, request, struct), state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * {@code mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)}: the mapping's address, or
     * {@code -errno}. The caller unmaps it with {@link #munmap}; no arena owns it, since a vCPU's {@code kvm_run}
     * must go away with its descriptor, not at some later GC.
     */
    public static long mmapShared(int fd, long length) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try {
            long address = ((MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, PROT_READ | PROT_WRITE,
                    MAP_SHARED, fd, 0L)).address();
            return address == -1 ? -errno(state) : address;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code munmap(address, length)}: 0 or {@code -errno}. */
    public static int munmap(long address, long length) {
        MemorySegment state = CALL_STATE_SLOT.get();
        try {
            return result((int) MUNMAP.invokeExact(state, MemorySegment.ofAddress(address), length), state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** The symbolic name, e.g. {@code EINTR}, or {@code errno N} when libc knows none. */
    public static String errnoName(int errno) {
        return string(STRERRORNAME_NP, errno, "errno " + errno);
    }

    /** What the error means, e.g. {@code Interrupted system call}. */
    public static String strerror(int errno) {
        return string(STRERROR, errno, "unknown error " + errno);
    }

    private static String string(MethodHandle function, int errno, String fallback) {
        try {
            MemorySegment text = (MemorySegment) function.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? fallback : text.reinterpret(256).getString(0);
        } catch (Throwable e) {
            return fallback;
        }
    }

    private static int result(int value, MemorySegment state) {
        return value == -1 ? -errno(state) : value;
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, all);
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error error) {
            throw error;
        }
        throw new IllegalStateException("calling libc failed", e);
    }
}
