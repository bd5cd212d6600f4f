/**
 * A userfaultfd for post-copy of MTE guests, with an atomic page-and-tags install: <b>a proposed kernel
 * extension</b>, not an interface of today's kernel. It is kept out of {@link io.mtemigrate.vmsim.KvmVm}, whose
 * methods mirror the kernel as it is; a VMM reaches it with {@link io.mtemigrate.vmsim.uffd.UserFaults#of}.
 *
 * <h2>Why</h2>
 * Post-copy runs the guest on the target before its memory arrives: the target registers guest RAM with
 * {@code UFFDIO_REGISTER_MODE_MISSING}, a vCPU that touches a missing page blocks, and the VMM installs the page
 * with {@code UFFDIO_COPY}. On arm64 with MTE that install is not enough: the page's tags can only be set
 * afterwards with {@code KVM_ARM_MTE_COPY_TAGS}, and in between a vCPU can use the page with zero tags (a
 * tag-check fault, or a tag store the later copy overwrites). The extension installs both in one step.
 *
 * <h2>The proposed extension</h2>
 * <pre>
 * UFFD_FEATURE_MTE_TAGS          (1 &lt;&lt; 17)  offered by UFFDIO_API on hosts with MTE
 * UFFDIO_COPY_MODE_MTE_TAGS      (1 &lt;&lt; 2)   with UFFDIO_COPY_MTE only
 * UFFDIO_ZEROPAGE_MODE_MTE_TAGS  (1 &lt;&lt; 1)   with UFFDIO_ZEROPAGE_MTE only
 *
 * struct uffdio_copy_mte {          UFFDIO_COPY_MTE = _IOWR(UFFDIO, _UFFDIO_COPY, struct uffdio_copy_mte)
 *     __u64 dst;    @0                                = 0xC030AA03
 *     __u64 src;    @8
 *     __u64 len;    @16
 *     __u64 mode;   @24   DONTWAKE | WP | MTE_TAGS
 *     __s64 copy;   @32   out: bytes installed, or -errno
 *     __u64 tags;   @40   len / 16 bytes, one per 16-byte granule
 * };                48 bytes
 * struct uffdio_zeropage_mte {      UFFDIO_ZEROPAGE_MTE = _IOWR(UFFDIO, _UFFDIO_ZEROPAGE, ...) = 0xC028AA04
 *     struct uffdio_range range; @0   __u64 mode; @16   __s64 zeropage; @24   __u64 tags; @32
 * };                40 bytes
 * </pre>
 * The tag buffer has the layout {@code KVM_ARM_MTE_COPY_TAGS} uses (and {@code PTRACE_PEEKMTETAGS}): one byte per
 * granule, the tag in its low nibble; the upper nibble is ignored, as {@code KVM_ARM_TAGS_TO_GUEST} ignores it.
 * Each page is filled with its data and its tags while its page table entry is still empty and then mapped with
 * {@code PG_mte_tagged} already set, under the page table lock: so no thread, vCPU or not, can see the page with
 * its data and without its tags, and KVM's {@code sanitise_mte_tags} leaves them alone at the guest's first access.
 * A page whose tags cannot be read in full is not installed (it stays missing), unlike COPY_TAGS, which clears the
 * page's tags: there is no half-installed page to clean up. A zero page with tags is a fresh zeroed page, never the
 * shared zero page, whose tags are zero and read-only. Everything else is {@code UFFDIO_COPY}'s and
 * {@code UFFDIO_ZEROPAGE}'s: the page loop, the partial count, the wake.
 *
 * <h2>What the emulator does, and where it differs from the kernel</h2>
 * <ul>
 * <li>Addresses are guest physical addresses inside one memslot; the kernel takes the VMM's virtual addresses of
 *     the memslot's mapping (one memslot here stands for one VMA). Fault messages carry the page's guest address
 *     and the vCPU id, where the kernel gives the virtual address and, with UFFD_FEATURE_THREAD_ID, the thread id.
 *     There is no {@code UFFDIO_API} handshake: the uffd behaves as if UFFD_FEATURE_MTE_TAGS was asked for.</li>
 * <li>Registering marks missing the pages that hold nothing (holes of the memory file); pages with data stay
 *     present, as pages with a PTE do. The VMM's own writes through its mapping do not install a page: use
 *     COPY. One uffd owns all registrations of a host memory (the kernel: of a VMA).</li>
 * <li>A blocked vCPU's step is taken back whole, so the vCPU waits between two steps: a pause ends the wait (as a
 *     signal ends KVM's interruptible wait), the vCPU pauses, its registers can be saved, and it faults again when
 *     resumed. Closing the VM releases waiting vCPUs.</li>
 * <li>{@code KVM_ARM_MTE_COPY_TAGS} on a missing page, in either direction, fails with EFAULT at that page (bytes
 *     done before it are returned, as for any failing page) and leaves it missing. The kernel would fault the page
 *     in from the ioctl: with UFFD_FEATURE_SIGBUS that is this EFAULT; without, the calling thread blocks until
 *     someone installs the page, which deadlocks a VMM whose own thread serves the faults.</li>
 * <li>Dirty logging: a missing page is never dirty; an install does not dirty it (no vCPU wrote it, as for
 *     TO_GUEST); the guest's retried store does.</li>
 * </ul>
 *
 * <h2>Refusals, in the order they are checked</h2>
 * <table>
 * <caption>errno per call</caption>
 * <tr><th>call</th><th>errno</th><th>when</th></tr>
 * <tr><td>every call</td><td>EBADF</td><td>the uffd is closed</td></tr>
 * <tr><td>register</td><td>EINVAL</td><td>mode 0 or with unknown bits; WP or MINOR (the emulator offers MISSING
 *     only); start or length not page aligned, length 0, range beyond the 40-bit IPA space (validate_range); range
 *     not inside one memslot (no VMA); memory that is a regular file mapping (vma_can_userfault)</td></tr>
 * <tr><td>register</td><td>EBUSY</td><td>the memory is registered with another uffd; vCPUs are running (the
 *     kernel holds off faults with the mmap lock, the emulator asks for stopped vCPUs instead)</td></tr>
 * <tr><td>unregister</td><td>EINVAL / EBUSY</td><td>as register's range checks / another uffd's memory</td></tr>
 * <tr><td>copy, zeroPage</td><td>EINVAL</td><td>validate_range as above; unknown mode bits; MTE_TAGS on a VM
 *     without MTE; a tag buffer without MTE_TAGS (its pointer must be 0)</td></tr>
 * <tr><td>copy, zeroPage</td><td>EFAULT</td><td>MTE_TAGS without a tag buffer; copy without a source</td></tr>
 * <tr><td>copy, zeroPage</td><td>ENOENT</td><td>the range is not inside one memslot, or not all of it is
 *     registered with this uffd (mfill_atomic's VMA lookup)</td></tr>
 * <tr><td>copy</td><td>EINVAL</td><td>MODE_WP (no range is registered with MODE_WP)</td></tr>
 * <tr><td>copy, zeroPage, per page</td><td>EEXIST</td><td>the page is present (installed, or held data at
 *     registration)</td></tr>
 * <tr><td>copy, zeroPage, per page</td><td>EFAULT</td><td>the source or the tag buffer ends within the page</td></tr>
 * <tr><td>wake</td><td>EINVAL</td><td>validate_range; a range nobody waits on is no error</td></tr>
 * </table>
 * A per-page refusal at page 0 is thrown; at page k &gt; 0 the call returns {@code k * PAGE_SIZE}, the kernel's
 * {@code copy} field with the ioctl's {@code -EAGAIN}.
 */
package io.mtemigrate.vmsim.uffd;
