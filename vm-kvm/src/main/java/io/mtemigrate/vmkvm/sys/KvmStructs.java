package io.mtemigrate.vmkvm.sys;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The arguments of the VM ioctls, as linux/kvm.h and arch/arm64's uapi asm/kvm.h lay them out for a 64-bit host
 * (native byte order; the kernel reads them where they are). Offsets come from the layouts, so they cannot drift
 * from the sizes the ioctl numbers encode.
 */
public final class KvmStructs {
    /**
     * {@code struct kvm_userspace_memory_region}, 32 bytes:
     * <pre>
     *  0       4       8              16             24             32
     *  +-------+-------+--------------+--------------+--------------+
     *  | slot  | flags | guest_phys_  | memory_size  | userspace_   |
     *  | u32   | u32   | addr u64     | u64 (bytes)  | addr u64     |
     *  +-------+-------+--------------+--------------+--------------+
     * </pre>
     */
    public static final StructLayout MEMORY_REGION = MemoryLayout.structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("flags"), JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"), JAVA_LONG.withName("userspace_addr"));
    public static final long REGION_SLOT = MEMORY_REGION.byteOffset(groupElement("slot"));
    public static final long REGION_FLAGS = MEMORY_REGION.byteOffset(groupElement("flags"));
    public static final long REGION_GUEST_PHYS_ADDR = MEMORY_REGION.byteOffset(groupElement("guest_phys_addr"));
    public static final long REGION_MEMORY_SIZE = MEMORY_REGION.byteOffset(groupElement("memory_size"));
    public static final long REGION_USERSPACE_ADDR = MEMORY_REGION.byteOffset(groupElement("userspace_addr"));

    /**
     * {@code struct kvm_enable_cap}, 104 bytes: {@code cap} u32 at 0, {@code flags} u32 at 4, {@code args[4]} u64
     * from 8, then 64 bytes of padding that must be zero.
     */
    public static final StructLayout ENABLE_CAP = MemoryLayout.structLayout(
            JAVA_INT.withName("cap"), JAVA_INT.withName("flags"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("args"),
            MemoryLayout.paddingLayout(64));
    public static final long CAP_CAP = ENABLE_CAP.byteOffset(groupElement("cap"));
    public static final long CAP_FLAGS = ENABLE_CAP.byteOffset(groupElement("flags"));
    public static final long CAP_ARGS = ENABLE_CAP.byteOffset(groupElement("args"));

    /**
     * {@code struct kvm_dirty_log}, 16 bytes: {@code slot} u32 at 0, 4 bytes of padding, the bitmap's address
     * (a union with a u64) at 8. The bitmap has a bit per page, rounded up to whole 64-bit words.
     */
    public static final StructLayout DIRTY_LOG = MemoryLayout.structLayout(
            JAVA_INT.withName("slot"), MemoryLayout.paddingLayout(4), ADDRESS.withName("dirty_bitmap"));
    public static final long DIRTY_LOG_SLOT = DIRTY_LOG.byteOffset(groupElement("slot"));
    public static final long DIRTY_LOG_BITMAP = DIRTY_LOG.byteOffset(groupElement("dirty_bitmap"));

    /**
     * {@code struct kvm_clear_dirty_log}, 24 bytes: {@code slot} u32 at 0, {@code num_pages} u32 at 4,
     * {@code first_page} u64 at 8, the bitmap's address at 16. Bit 0 of the bitmap is {@code first_page}, which
     * must be a multiple of 64, as must {@code num_pages} unless the range ends with the slot.
     */
    public static final StructLayout CLEAR_DIRTY_LOG = MemoryLayout.structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("num_pages"), JAVA_LONG.withName("first_page"),
            ADDRESS.withName("dirty_bitmap"));
    public static final long CLEAR_SLOT = CLEAR_DIRTY_LOG.byteOffset(groupElement("slot"));
    public static final long CLEAR_NUM_PAGES = CLEAR_DIRTY_LOG.byteOffset(groupElement("num_pages"));
    public static final long CLEAR_FIRST_PAGE = CLEAR_DIRTY_LOG.byteOffset(groupElement("first_page"));
    public static final long CLEAR_BITMAP = CLEAR_DIRTY_LOG.byteOffset(groupElement("dirty_bitmap"));

    /**
     * {@code struct kvm_arm_copy_mte_tags} (arm64 only), 48 bytes:
     * <pre>
     *  0            8            16           24           32                 48
     *  +------------+------------+------------+------------+------------------+
     *  | guest_ipa  | length     | addr       | flags      | reserved[2]      |
     *  | u64        | u64 bytes  | void *     | u64        | u64 x 2, zero    |
     *  +------------+------------+------------+------------+------------------+
     * </pre>
     */
    public static final StructLayout COPY_MTE_TAGS = MemoryLayout.structLayout(
            JAVA_LONG.withName("guest_ipa"), JAVA_LONG.withName("length"), ADDRESS.withName("addr"),
            JAVA_LONG.withName("flags"), MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("reserved"));
    public static final long TAGS_GUEST_IPA = COPY_MTE_TAGS.byteOffset(groupElement("guest_ipa"));
    public static final long TAGS_LENGTH = COPY_MTE_TAGS.byteOffset(groupElement("length"));
    public static final long TAGS_ADDR = COPY_MTE_TAGS.byteOffset(groupElement("addr"));
    public static final long TAGS_FLAGS = COPY_MTE_TAGS.byteOffset(groupElement("flags"));
    public static final long TAGS_RESERVED = COPY_MTE_TAGS.byteOffset(groupElement("reserved"));

    private KvmStructs() {
    }
}
