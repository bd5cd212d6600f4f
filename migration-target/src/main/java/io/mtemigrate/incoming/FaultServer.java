package io.mtemigrate.incoming;

import io.mtemigrate.vmsim.vmm.MissingPage;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The thread that reads the guest's faults during post-copy (the VMM's uffd reader) and asks the source for each
 * page a vCPU waits for, once. It also gives the session a regular tick, which post-copy's recovery timeout needs
 * when no channel is left to tick.
 */
final class FaultServer implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(50);

    private final PostcopyLanding landing;
    private final Consumer<MissingPage> request;
    private final Runnable tick;
    private final Consumer<String> failed;
    private final LongSupplier clock;
    private final Thread thread;
    private volatile boolean stopping;

    private FaultServer(PostcopyLanding landing, Consumer<MissingPage> request, Runnable tick, Consumer<String> failed,
                        LongSupplier clock) {
        this.landing = landing;
        this.failed = failed;
        this.request = request;
        this.tick = tick;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("tgt-faults").daemon().unstarted(this::serve);
    }

    static FaultServer start(PostcopyLanding landing, Consumer<MissingPage> request, Runnable tick,
                             Consumer<String> failed, LongSupplier clock) {
        FaultServer server = new FaultServer(landing, request, tick, failed, clock);
        server.thread.start();
        return server;
    }

    private void serve() {
        try {
            while (!stopping) {
                Optional<MissingPage> fault = landing.ram().awaitFault(POLL);
                if (fault.isPresent() && !landing.owed(fault.get().slotIndex(), fault.get().page())) {
                    // A page never written here and not owed: zero on both sides, so it is answered here.
                    landing.ram().installZeros(fault.get().slotIndex(), fault.get().page(), 1, null);
                } else if (fault.isPresent()) {
                    MissingPage page = fault.get();
                    boolean present = landing.present(page.slotIndex(), page.page());
                    if (landing.faults().faulted(page, present, clock.getAsLong())) {
                        request.accept(page);
                    }
                }
                tick.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // After close() this is the uffd closing under the reader; before, the guest can no longer be served.
            if (!stopping) {
                failed.accept("reading the guest's page faults failed: " + e.getMessage());
            }
        }
    }

    /**
     * Stops reading without waiting for the reader: it may be waiting for the session's lock, which the caller
     * holds. It ends within one poll; a fault it still reads asks for a page that is in, which changes nothing.
     */
    @Override
    public void close() {
        stopping = true;
    }
}
