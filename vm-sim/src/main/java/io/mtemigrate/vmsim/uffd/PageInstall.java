package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code mfill_atomic}'s page loop: each page gets its data and tags while still missing, then is published in one
 * release store, so a vCPU sees either the missing page (and waits) or the page with all of its tags. A page that
 * cannot be done whole is not touched; the install stops there like the kernel's, with the bytes done before it.
 *
 * <p>The pages that can be done are written first, data and then tags, each in one write through the memory files
 * (the kernel's copy, no fault per page), and only then published one by one: the guest still sees none of them
 * before its tags are in.
 */
final class PageInstall {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 16);

    private PageInstall() {
    }

    /**
     * Caller holds the gate's lock; {@code tags} is null for an install without tags.
     *
     * @param scratch a direct buffer for the masked tags, grown when too small; the caller keeps it
     */
    static long install(MissingPages pages, long offset, long length, ByteBuffer src, ByteBuffer tags, long ipa,
                        ByteBuffer[] scratch) {
        HostMemory memory = pages.memory;
        int pageBytes = memory.pageSize().bytes();
        int tagsPerPage = memory.pageSize().tagsPerPage();
        long done = 0;
        int count = 0;
        Errno errno = null;
        String reason = null;
        for (; done < length; count++, done += pageBytes) {
            if (!pages.isMissing(offset + done)) {
                errno = Errno.EEXIST;
                reason = "the page at IPA 0x" + Long.toHexString(ipa + done) + " is present";
            } else if (src != null && src.limit() - src.position() - done < pageBytes) {
                errno = Errno.EFAULT;
                reason = "the source buffer ends before the page at IPA 0x" + Long.toHexString(ipa + done);
            } else if (tags != null && tags.limit() - tags.position() - (long) count * tagsPerPage < tagsPerPage) {
                errno = Errno.EFAULT;
                reason = "the tag buffer ends before the tags of IPA 0x" + Long.toHexString(ipa + done);
            }
            if (errno != null) {
                break;
            }
        }
        if (count == 0) {
            throw new UffdException(errno, reason);
        }
        writeData(memory, offset, src, done);
        if (tags != null) {
            int tagBytes = count * tagsPerPage;
            ByteBuffer masked = scratch[0];
            if (masked == null || masked.capacity() < tagBytes) {
                masked = scratch[0] = ByteBuffer.allocateDirect(Math.max(tagBytes, 4096)).order(ByteOrder.LITTLE_ENDIAN);
            }
            for (int i = 0; i < tagBytes; i++) {
                // KVM_ARM_MTE_COPY_TAGS's rule: the upper nibble is dropped, not refused.
                masked.put(i, (byte) (tags.get(tags.position() + i) & 0x0F));
            }
            memory.writeTagsOfWrittenPages(offset, masked, 0, tagBytes, count);
        }
        for (long at = offset; at < offset + done; at += pageBytes) {
            pages.markPresent(at);
        }
        return done;
    }

    /** The pages' data, or zeros, in writes through the memory file; a heap source goes through the mapping. */
    private static void writeData(HostMemory memory, long offset, ByteBuffer src, long bytes) {
        if (src == null) {
            for (long at = 0; at < bytes; at += ZEROS.capacity()) {
                memory.writeThroughFile(offset + at, ZEROS, 0, (int) Math.min(ZEROS.capacity(), bytes - at));
            }
        } else if (src.isDirect()) {
            memory.writeThroughFile(offset, src, src.position(), (int) bytes);
        } else {
            memory.write(offset, src, src.position(), (int) bytes);
        }
    }
}
