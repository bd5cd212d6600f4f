package io.mtemigrate.vmkvm.x86;

import io.mtemigrate.vmsim.vmm.VcpuSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class X86VcpuCodecTest {
    @Test
    void shouldRoundTripTheStructsByteForByte() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment regs = filled(arena, X86Regs.LAYOUT.byteSize(), 1);
            MemorySegment sregs = filled(arena, X86Sregs.LAYOUT.byteSize(), 7);
            VcpuSnapshot snapshot = X86VcpuCodec.encode(3, regs, sregs);
            assertEquals(X86VcpuCodec.SNAPSHOT_BYTES, snapshot.state().length);
            assertEquals("kvmX8664", new String(snapshot.state(), 0, 8, java.nio.charset.StandardCharsets.US_ASCII));

            MemorySegment regsBack = arena.allocate(X86Regs.LAYOUT);
            MemorySegment sregsBack = arena.allocate(X86Sregs.LAYOUT);
            X86VcpuCodec.decode(snapshot, regsBack, sregsBack);
            assertEquals(-1, regs.mismatch(regsBack));
            assertEquals(-1, sregs.mismatch(sregsBack));
            assertEquals(X86Regs.get(regs, X86Regs.RIP), X86VcpuCodec.register(snapshot, X86Regs.RIP));
            assertEquals(42, X86VcpuCodec.register(X86VcpuCodec.withRegister(snapshot, X86Regs.RDI, 42), X86Regs.RDI));
        }
    }

    static Stream<Arguments> badSnapshots() {
        return Stream.of(
                Arguments.of((UnaryOperator<byte[]>) s -> Arrays.copyOf(s, 7), "has 7 bytes, too few"),
                Arguments.of(patch(0, 0x3176_3436_4175_6D65L), "starts with \"emuA64v1\", not \"kvmX8664\""),
                Arguments.of(patchInt(8, 2), "format 2; this build reads format 1"),
                Arguments.of(patchInt(12, 1), "reserved header bytes that are not zero"),
                Arguments.of((UnaryOperator<byte[]>) s -> Arrays.copyOf(s, s.length - 1), "has 471 bytes; format 1 has 472"),
                Arguments.of((UnaryOperator<byte[]>) s -> Arrays.copyOf(s, s.length + 8), "has 480 bytes"));
    }

    @ParameterizedTest
    @MethodSource("badSnapshots")
    void shouldRefuseWhatIsNotAWholeFormat1Snapshot(UnaryOperator<byte[]> damage, String reason) {
        try (Arena arena = Arena.ofConfined()) {
            VcpuSnapshot good = X86VcpuCodec.encode(0, arena.allocate(X86Regs.LAYOUT), arena.allocate(X86Sregs.LAYOUT));
            VcpuSnapshot bad = new VcpuSnapshot(0, damage.apply(good.state()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X86VcpuCodec.decode(bad,
                    arena.allocate(X86Regs.LAYOUT), arena.allocate(X86Sregs.LAYOUT)));
            assertTrue(e.getMessage().startsWith("vCPU 0's state"), e.getMessage());
            assertTrue(e.getMessage().contains(reason), e.getMessage());
        }
    }

    private static UnaryOperator<byte[]> patch(int offset, long value) {
        return s -> {
            ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
            return s;
        };
    }

    private static UnaryOperator<byte[]> patchInt(int offset, int value) {
        return s -> {
            ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
            return s;
        };
    }

    private static MemorySegment filled(Arena arena, long bytes, int seed) {
        MemorySegment segment = arena.allocate(bytes);
        for (long i = 0; i < bytes; i++) {
            segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
        }
        return segment;
    }
}
