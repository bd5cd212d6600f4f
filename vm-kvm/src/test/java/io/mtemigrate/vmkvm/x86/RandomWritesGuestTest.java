package io.mtemigrate.vmkvm.x86;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomWritesGuestTest {
    @Test
    void shouldStepXorshift32AsMarsagliaDefinesIt() {
        // Marsaglia's xorshift32 (13, 17, 5) from state 1: 270369, 67634689, 2647435461.
        int x = RandomWritesGuest.nextState(1);
        assertEquals(270369, x);
        x = RandomWritesGuest.nextState(x);
        assertEquals(67634689, x);
        assertEquals(2647435461L, Integer.toUnsignedLong(RandomWritesGuest.nextState(x)));
    }

    @Test
    void shouldPickAnIndexInsideTheRegion() {
        assertEquals(0, RandomWritesGuest.index(0, 1000));
        assertEquals(999, RandomWritesGuest.index(-1, 1000));
        assertEquals(500, RandomWritesGuest.index(Integer.MIN_VALUE, 1000));
    }

    @Test
    void shouldPlaceItsExitsAndHaltWhereTheConstantsSay() {
        byte[] code = new byte[RandomWritesGuest.codeBytes()];
        RandomWritesGuest.code().get(code);
        int out = (int) (RandomWritesGuest.AFTER_EXIT_RIP - RandomWritesGuest.CODE_ADDRESS) - 2;
        assertEquals((byte) 0xE6, code[out], "out imm8, al");
        assertEquals((byte) RandomWritesGuest.EXIT_PORT, code[out + 1]);
        assertEquals((byte) 0xF4, code[(int) (RandomWritesGuest.HALTED_RIP - RandomWritesGuest.CODE_ADDRESS) - 1], "hlt");
        assertTrue(RandomWritesGuest.CODE_ADDRESS + code.length < 0x2000, "the code fits its page");
    }

    @Test
    void shouldRefuseAStateXorshiftNeverLeaves() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> RandomWritesGuest.initialRegisters(
                    arena.allocate(X86Regs.LAYOUT), 0x100000, 4096, 0, 10, 4));
        }
    }
}
