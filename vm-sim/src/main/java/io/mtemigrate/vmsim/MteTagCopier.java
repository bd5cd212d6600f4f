package io.mtemigrate.vmsim;

import java.nio.ByteBuffer;

/** {@code KVM_ARM_MTE_COPY_TAGS}: the VMM's only way to the guest's tags. */
public interface MteTagCopier {
    /**
     * Copies tags between guest tag storage and {@code buffer}, one byte per 16-byte granule (the format of
     * {@code PTRACE_PEEKMTETAGS}). The buffer's bytes from its position up to its limit stand for the user memory
     * at {@code addr}; its position and limit are not changed.
     *
     * @return guest bytes processed: {@code length} on success, {@code k * pageSize} when page {@code k > 0} failed
     * @throws KvmException with the kernel's errno when the call fails before the first page is done
     */
    long copyMteTags(long guestIpa, long length, ByteBuffer buffer, long flags, long reserved0, long reserved1);
}
