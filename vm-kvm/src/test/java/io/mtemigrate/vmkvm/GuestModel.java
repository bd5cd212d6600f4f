package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.x86.RandomWritesGuest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * The guest program again, in Java: which dword each step writes with which value. Tests hold KVM's RAM and dirty
 * log against it, so a wrong instruction byte or a lost write cannot hide behind a digest that is merely stable.
 */
final class GuestModel {
    private GuestModel() {
    }

    /** The RAM slot's bytes after every vCPU ran {@code steps} steps from boot. */
    static byte[] ram(KvmGuestSpec spec, long steps) {
        ByteBuffer ram = ByteBuffer.allocate(Math.toIntExact(spec.ramBytes())).order(ByteOrder.LITTLE_ENDIAN);
        for (int vcpu = 0; vcpu < spec.vcpus(); vcpu++) {
            long offset = spec.regionBase(vcpu) - KvmGuestSpec.RAM_BASE;
            long dwords = spec.regionBytes() / Integer.BYTES;
            int x = spec.randomState(vcpu);
            for (long step = 0; step < steps; step++) {
                x = RandomWritesGuest.nextState(x);
                ram.putInt(Math.toIntExact(offset + RandomWritesGuest.index(x, dwords) * Integer.BYTES), x);
            }
        }
        return ram.array();
    }

    /** The RAM slot's pages vCPU {@code vcpu} writes in its steps {@code from} (inclusive) to {@code to}. */
    static BitSet pagesWritten(KvmGuestSpec spec, int vcpu, long from, long to) {
        BitSet pages = new BitSet();
        long offset = spec.regionBase(vcpu) - KvmGuestSpec.RAM_BASE;
        long dwords = spec.regionBytes() / Integer.BYTES;
        int x = spec.randomState(vcpu);
        for (long step = 0; step < to; step++) {
            x = RandomWritesGuest.nextState(x);
            if (step >= from) {
                pages.set(Math.toIntExact((offset + RandomWritesGuest.index(x, dwords) * Integer.BYTES) >>> 12));
            }
        }
        return pages;
    }
}
