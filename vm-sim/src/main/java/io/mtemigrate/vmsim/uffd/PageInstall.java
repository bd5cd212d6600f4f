package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.HostMemory;

import java.nio.ByteBuffer;

/**
 * {@code mfill_atomic}'s page loop: each page gets its data and tags while still missing, then is published in one
 * release store, so a vCPU sees either the missing page (and waits) or the page with all of its tags. A page that
 * cannot be done whole is not touched; the loop stops there like the kernel's, with the bytes done before it.
 */
final class PageInstall {
    private static final ByteBuffer ZEROS = ByteBuffer.allocate(1 << 16);

    private PageInstall() {
    }

    /** Caller holds the gate's lock; {@code tags} is null for an install without tags. */
    static long install(MissingPages pages, long offset, long length, ByteBuffer src, ByteBuffer tags, long ipa) {
        HostMemory memory = pages.memory;
        int pageBytes = memory.pageSize().bytes();
        int tagsPerPage = memory.pageSize().tagsPerPage();
        byte[] scratch = tags == null ? null : new byte[tagsPerPage];
        long done = 0;
        for (long page = 0; done < length; page++, done += pageBytes) {
            long at = offset + done;
            if (!pages.isMissing(at)) {
                return fail(done, Errno.EEXIST, "the page at IPA 0x" + Long.toHexString(ipa + done) + " is present");
            }
            if (src != null && src.limit() - src.position() - done < pageBytes) {
                return fail(done, Errno.EFAULT, "the source buffer ends before the page at IPA 0x"
                        + Long.toHexString(ipa + done));
            }
            if (tags != null && tags.limit() - tags.position() - page * tagsPerPage < tagsPerPage) {
                return fail(done, Errno.EFAULT, "the tag buffer ends before the tags of IPA 0x"
                        + Long.toHexString(ipa + done));
            }
            if (src != null) {
                memory.write(at, src, (int) (src.position() + done), pageBytes);
            } else {
                memory.write(at, ZEROS, 0, pageBytes);
            }
            if (tags != null) {
                tags.get((int) (tags.position() + page * tagsPerPage), scratch);
                for (int i = 0; i < scratch.length; i++) {
                    // KVM_ARM_MTE_COPY_TAGS's rule: the upper nibble is dropped, not refused.
                    scratch[i] &= 0x0F;
                }
                memory.tagChunk(at).put(HostMemory.tagIndexInChunk(at), scratch);
                memory.markTagged(at);
            }
            pages.markPresent(at);
        }
        return length;
    }

    private static long fail(long done, Errno errno, String reason) {
        if (done == 0) {
            throw new UffdException(errno, reason);
        }
        return done;
    }
}
