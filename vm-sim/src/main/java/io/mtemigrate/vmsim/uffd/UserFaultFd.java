package io.mtemigrate.vmsim.uffd;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;

/**
 * A userfaultfd over guest memory: the ioctls a post-copy VMM issues on it, and reading its fault messages.
 *
 * <p>Ranges are guest physical addresses inside one memslot (the kernel takes the VMM's virtual addresses of the
 * memslot's mapping, which the memslot maps one to one). Buffers, like {@link io.mtemigrate.vmsim.MteTagCopier}'s,
 * stand for user memory from their position to their limit and are left unchanged. Each refusal carries the errno
 * the kernel would return; the package overview lists them per call.
 */
public interface UserFaultFd extends AutoCloseable {
    /**
     * {@code UFFDIO_REGISTER} with {@code UFFDIO_REGISTER_MODE_MISSING}: from now on a vCPU access to a page of the
     * range that holds nothing (a hole of the memory file, never written nor tagged) blocks that vCPU and sends a
     * {@link PageFault} here, until the page is installed. Pages that hold data stay present.
     */
    void register(long start, long length, long mode);

    /** {@code UFFDIO_UNREGISTER}: the range's missing pages become ordinary memory (zero data and tags); waiters wake. */
    void unregister(long start, long length);

    /**
     * {@code UFFDIO_COPY}: installs {@code length} bytes of {@code src} at {@code dst} page by page, each page
     * atomically; with the proposed {@link UffdConstants#UFFDIO_COPY_MODE_MTE_TAGS} each page gets its tags from
     * {@code tags} ({@code length / 16} bytes, one per granule, low nibble, as {@code KVM_ARM_MTE_COPY_TAGS}) in the
     * same step: no vCPU ever sees the page's data without its tags. Then wakes the vCPUs waiting on those pages
     * unless {@link UffdConstants#UFFDIO_COPY_MODE_DONTWAKE}.
     *
     * @return bytes installed ({@code uffdio_copy.copy}): {@code length}, or fewer when the page after them failed
     *         (the kernel's {@code -EAGAIN}; retry from there to learn why)
     * @throws UffdException when the first page fails or an argument is refused
     */
    long copy(long dst, ByteBuffer src, long length, long mode, ByteBuffer tags);

    /**
     * {@code UFFDIO_ZEROPAGE}: installs zero pages; with the proposed
     * {@link UffdConstants#UFFDIO_ZEROPAGE_MODE_MTE_TAGS} they get {@code tags}, so a zeroed page with non-zero tags
     * needs no data on the wire. Returns and refuses like {@link #copy}.
     */
    long zeroPage(long start, long length, long mode, ByteBuffer tags);

    /** {@code UFFDIO_WAKE}: wakes the vCPUs waiting on pages of the range (after installs made with DONTWAKE). */
    void wake(long start, long length);

    /**
     * {@code poll} then {@code read}: the oldest fault not read yet, waiting up to {@code timeout}; empty on timeout.
     * A fault whose page was installed before it was read is never returned: its vCPU already runs on.
     */
    Optional<PageFault> readFault(Duration timeout) throws InterruptedException;

    /**
     * Closing the fd unregisters everything it registered, as the kernel's release does: waiting vCPUs wake and
     * find ordinary zero memory. A post-copy VMM therefore pauses its vCPUs rather than close a uffd that still
     * has missing pages.
     */
    @Override
    void close();
}
