package io.mtemigrate.vmsim.vmm;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;

/**
 * Guest RAM the guest runs on before all of it has arrived: the target's side of post-copy. The pages it is told
 * to expect are missing; a vCPU that touches one waits, its fault is read here, and it runs on once the page is
 * installed, data and tags in one step, so the guest never sees a page without its tags. Slots are given by their
 * position in the layout, pages by their index in the slot. Thread-safe: faults are read on one thread while
 * channels install on others.
 */
public interface ArrivingRam extends AutoCloseable {
    /**
     * Drops this VM's copy of the pages set in {@code pages} (bit {@code p} of word {@code p / 64}) and makes them
     * missing. Only while the vCPUs are stopped: before {@link MigratableVm#start} or while paused. Pages of the
     * slot that were never written here may become missing too: a fault on a page not expected is one the VMM
     * answers with a zero page (zero tags) of its own.
     */
    void expect(int slotIndex, long[] pages);

    /** The oldest fault not read yet, waiting up to {@code timeout}; empty on timeout. */
    Optional<MissingPage> awaitFault(Duration timeout) throws InterruptedException;

    /**
     * Installs {@code count} pages from {@code firstPage}, each with its data and its tags in one step, and wakes
     * the vCPUs waiting on them. A page that is present already (installed before, by another path) is left alone.
     *
     * @param data {@code count} pages from its position
     * @param tags {@code count} pages' tags from its position, one byte per granule; null for a VM without MTE
     * @return pages installed
     */
    int install(int slotIndex, long firstPage, int count, ByteBuffer data, ByteBuffer tags);

    /** Like {@link #install}, for pages whose data is zero: their tags may not be. */
    int installZeros(int slotIndex, long firstPage, int count, ByteBuffer tags);

    /**
     * Stops waiting for pages: what is still missing becomes zero memory and waiting vCPUs wake to it, so close only
     * once every page is in, or with the vCPUs stopped for good.
     */
    @Override
    void close();
}
