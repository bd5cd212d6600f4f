package io.mtemigrate.vmkvm.arm64;

import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.KvmStructs;
import io.mtemigrate.vmkvm.sys.VmFd;
import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmConstants;
import io.mtemigrate.vmsim.KvmException;
import io.mtemigrate.vmsim.MteTagCopier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * {@code KVM_ARM_MTE_COPY_TAGS} on a real arm64 VM that has {@code KVM_CAP_ARM_MTE} enabled: one tag byte per
 * 16-byte granule between the guest's tag storage and the buffer, in {@link KvmStructs#COPY_MTE_TAGS}'s argument.
 *
 * <p><b>Untested.</b> This project's hosts are x86-64, where the ioctl does not exist and this class is never made
 * (the x86 machine has no MTE, and its {@code tags()} is empty). It follows the kernel's uapi and
 * Documentation/virt/kvm/api.rst: the guest address and length must be page aligned, the flags
 * {@link KvmConstants#KVM_ARM_TAGS_FROM_GUEST} or {@link KvmConstants#KVM_ARM_TAGS_TO_GUEST}, the reserved words
 * zero, and the answer is the bytes of guest memory done, fewer than asked when a later page failed.
 */
public final class ArmMteTagCopier implements MteTagCopier {
    private static final int GRANULE_SHIFT = KvmConstants.MTE_GRANULE_SHIFT;

    private final VmFd vm;

    public ArmMteTagCopier(VmFd vm) {
        this.vm = vm;
    }

    /**
     * @throws KvmException          with the kernel's errno when it is one {@link Errno} names
     * @throws KvmIoctlException     for any other errno
     * @throws IllegalArgumentException when the buffer cannot hold {@code length}'s tags (the kernel would write
     *                               past it), or {@code length} is too large for ioctl's {@code int} answer
     */
    @Override
    public long copyMteTags(long guestIpa, long length, ByteBuffer buffer, long flags, long reserved0, long reserved1) {
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("copy at most 2 GiB of guest memory per call, not " + length
                    + " bytes: ioctl(2) answers in an int");
        }
        int tagBytes = (int) (length >>> GRANULE_SHIFT);
        if (buffer.remaining() < tagBytes) {
            throw new IllegalArgumentException(length + " bytes of guest memory have " + tagBytes
                    + " tag bytes, and the buffer has room for " + buffer.remaining());
        }
        boolean toGuest = flags == KvmConstants.KVM_ARM_TAGS_TO_GUEST;
        try (Arena arena = Arena.ofConfined()) {
            // A heap buffer's bytes can move under the kernel: they go through native memory.
            MemorySegment user = buffer.isDirect() ? MemorySegment.ofBuffer(buffer) : arena.allocate(Math.max(1, tagBytes));
            if (!buffer.isDirect() && toGuest) {
                MemorySegment.copy(MemorySegment.ofBuffer(buffer), 0, user, 0, tagBytes);
            }
            MemorySegment args = arena.allocate(KvmStructs.COPY_MTE_TAGS);
            args.set(ValueLayout.JAVA_LONG, KvmStructs.TAGS_GUEST_IPA, guestIpa);
            args.set(ValueLayout.JAVA_LONG, KvmStructs.TAGS_LENGTH, length);
            args.set(ValueLayout.ADDRESS, KvmStructs.TAGS_ADDR, user);
            args.set(ValueLayout.JAVA_LONG, KvmStructs.TAGS_FLAGS, flags);
            args.set(ValueLayout.JAVA_LONG, KvmStructs.TAGS_RESERVED, reserved0);
            args.set(ValueLayout.JAVA_LONG, KvmStructs.TAGS_RESERVED + Long.BYTES, reserved1);
            int done = vm.copyMteTags(args);
            if (done < 0) {
                throw failure(-done, guestIpa, length, flags);
            }
            if (!buffer.isDirect() && !toGuest) {
                MemorySegment.copy(user, 0, MemorySegment.ofBuffer(buffer), 0, (long) done >>> GRANULE_SHIFT);
            }
            return done;
        }
    }

    private static RuntimeException failure(int errno, long guestIpa, long length, long flags) {
        String what = length + " bytes at guest IPA 0x" + Long.toHexString(guestIpa) + ", "
                + (flags == KvmConstants.KVM_ARM_TAGS_FROM_GUEST ? "from" : "to") + " the guest";
        for (Errno known : Errno.values()) {
            if (known.number() == errno) {
                return new KvmException(known, KvmIoctl.KVM_ARM_MTE_COPY_TAGS.name() + " of " + what);
            }
        }
        return new KvmIoctlException(KvmIoctl.KVM_ARM_MTE_COPY_TAGS, errno, what);
    }
}
