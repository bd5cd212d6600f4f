package io.mtemigrate.source;

import io.mtemigrate.migration.PageBits;
import io.mtemigrate.proto.PageRequest;
import io.mtemigrate.tagstream.frame.BatchCounters;
import io.mtemigrate.vmsim.vmm.MigratableVm;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Answers the target's page requests during post-copy, on a thread of its own so that a request never waits behind
 * the push: each requested page goes at once on the post-copy channel, even when the push sent it already (that
 * copy may still sit in a socket buffer behind megabytes of others). A bad request or a failed send is kept for the
 * migration thread, which checks it between its own frames.
 */
final class RequestServer implements AutoCloseable {
    private static final long POLL_NANOS = 20_000_000;

    private final MigrationTransport link;
    private final PageSender sender;
    private final PageBits[] sent;
    private final long[] slotPages;
    private final AtomicReference<MigrationFailure> failure = new AtomicReference<>();
    private final AtomicLong served = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;

    private RequestServer(MigratableVm vm, MigrationTransport link, PageBits[] sent, long[] slotPages) {
        this.link = link;
        this.sender = PageSender.urgent(vm, link);
        this.sent = sent;
        this.slotPages = slotPages;
        this.thread = Thread.ofPlatform().name("src-requests").daemon().unstarted(this::serve);
    }

    static RequestServer start(MigratableVm vm, MigrationTransport link, PageBits[] sent, long[] slotPages) {
        RequestServer server = new RequestServer(vm, link, sent, slotPages);
        server.thread.start();
        return server;
    }

    private void serve() {
        try {
            while (!stopping) {
                PageRequest request = link.pollRequest(POLL_NANOS);
                if (request != null) {
                    answer(request);
                }
            }
        } catch (InterruptedException e) {
            // close() ends it
        } catch (MigrationFailure e) {
            failure.compareAndSet(null, e);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, MigrationFailure.failed("answering a page request failed: " + e, e));
        } finally {
            sender.close();
        }
    }

    private void answer(PageRequest request) throws MigrationFailure {
        int slot = request.getSlotIndex();
        long first = request.getFirstPage();
        int group = sender.pagesPerBatch();
        if (slot >= slotPages.length || request.getPages() < 1 || first < 0
                || first + request.getPages() > slotPages[slot] || first / group != (first + request.getPages() - 1) / group) {
            throw MigrationFailure.badPeer("the target asked for " + request.getPages() + " pages from page " + first
                    + " of slot " + slot + ", which are not one batch group of the layout");
        }
        for (long page = first; page < first + request.getPages(); page++) {
            sent[slot].claim(page);
        }
        sender.sendRun(slot, first, request.getPages(), 0, Checkpoint.NONE);
        served.addAndGet(request.getPages());
    }

    /** Pages sent in answer to requests. */
    long served() {
        return served.get();
    }

    /** What the answers carried; read after close. */
    BatchCounters total() {
        return sender.total();
    }

    void throwIfFailed() throws MigrationFailure {
        MigrationFailure f = failure.get();
        if (f != null) {
            throw f;
        }
        link.throwIfFailed();
    }

    @Override
    public void close() {
        stopping = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
