package io.mtemigrate.vmkvm.x86;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct kvm_sregs} of x86-64 ({@code KVM_GET_SREGS}/{@code KVM_SET_SREGS}), 312 bytes: eight segments, two
 * descriptor tables, the control registers, EFER, the APIC base and the pending-interrupt bitmap.
 * <pre>
 *   0 cs   24 ds   48 es   72 fs   96 gs  120 ss  144 tr  168 ldt     struct kvm_segment, 24 bytes each
 * 192 gdt 208 idt                                                   struct kvm_dtable, 16 bytes each
 * 224 cr0 232 cr2 240 cr3 248 cr4 256 cr8 264 efer 272 apic_base     u64
 * 280 interrupt_bitmap[4]                                           u64, KVM_NR_INTERRUPTS = 256 bits
 * </pre>
 * A {@code struct kvm_segment}:
 * <pre>
 *  0 base u64 | 8 limit u32 | 12 selector u16 | 14 type | 15 present | 16 dpl | 17 db | 18 s | 19 l | 20 g
 *  | 21 avl | 22 unusable | 23 padding      (one byte each from 14 on)
 * </pre>
 */
public final class X86Sregs {
    public static final StructLayout SEGMENT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("base"), ValueLayout.JAVA_INT.withName("limit"),
            ValueLayout.JAVA_SHORT.withName("selector"), ValueLayout.JAVA_BYTE.withName("type"),
            ValueLayout.JAVA_BYTE.withName("present"), ValueLayout.JAVA_BYTE.withName("dpl"),
            ValueLayout.JAVA_BYTE.withName("db"), ValueLayout.JAVA_BYTE.withName("s"),
            ValueLayout.JAVA_BYTE.withName("l"), ValueLayout.JAVA_BYTE.withName("g"),
            ValueLayout.JAVA_BYTE.withName("avl"), ValueLayout.JAVA_BYTE.withName("unusable"),
            ValueLayout.JAVA_BYTE.withName("padding"));
    private static final StructLayout DTABLE = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("base"), ValueLayout.JAVA_SHORT.withName("limit"),
            MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_SHORT).withName("padding"));
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
            SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
            DTABLE.withName("gdt"), DTABLE.withName("idt"),
            ValueLayout.JAVA_LONG.withName("cr0"), ValueLayout.JAVA_LONG.withName("cr2"),
            ValueLayout.JAVA_LONG.withName("cr3"), ValueLayout.JAVA_LONG.withName("cr4"),
            ValueLayout.JAVA_LONG.withName("cr8"), ValueLayout.JAVA_LONG.withName("efer"),
            ValueLayout.JAVA_LONG.withName("apic_base"),
            MemoryLayout.sequenceLayout(4, ValueLayout.JAVA_LONG).withName("interrupt_bitmap"));

    public static final long CS = offset("cs");
    public static final long DS = offset("ds");
    public static final long ES = offset("es");
    public static final long FS = offset("fs");
    public static final long GS = offset("gs");
    public static final long SS = offset("ss");
    public static final long CR0 = offset("cr0");
    public static final long CR4 = offset("cr4");
    public static final long EFER = offset("efer");

    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.ET: hardwired to 1 on every CPU since the 486. */
    public static final long CR0_ET = 1L << 4;

    private X86Sregs() {
    }

    private static long offset(String name) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    /** A flat 4 GiB, present, 32-bit, page-granular segment of ring 0: {@code type} says code or data. */
    public static void setFlatSegment(MemorySegment sregs, long segment, int selector, int type) {
        MemorySegment s = sregs.asSlice(segment, SEGMENT.byteSize());
        s.fill((byte) 0);  // base 0, dpl 0, l 0, avl 0, usable
        s.set(ValueLayout.JAVA_INT, 8, 0xFFFF_FFFF);
        s.set(ValueLayout.JAVA_SHORT, 12, (short) selector);
        s.set(ValueLayout.JAVA_BYTE, 14, (byte) type);
        s.set(ValueLayout.JAVA_BYTE, 15, (byte) 1);  // present
        s.set(ValueLayout.JAVA_BYTE, 17, (byte) 1);  // db: 32-bit operands and addresses (a big stack for ss)
        s.set(ValueLayout.JAVA_BYTE, 18, (byte) 1);  // s: a code or data segment, not a system one
        s.set(ValueLayout.JAVA_BYTE, 20, (byte) 1);  // g: the limit counts 4 KiB pages
    }

    public static long get(MemorySegment sregs, long field) {
        return sregs.get(ValueLayout.JAVA_LONG, field);
    }

    public static void set(MemorySegment sregs, long field, long value) {
        sregs.set(ValueLayout.JAVA_LONG, field, value);
    }
}
