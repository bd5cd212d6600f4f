package io.mtemigrate.cli;

import io.mtemigrate.incoming.ArrivedVm;
import io.mtemigrate.incoming.TargetListener;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Guests that arrived at an in-process target, and why migrations to it failed. */
final class ArrivalQueue implements TargetListener {
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Console console;

    /** @param console where refused connections are logged; null to ignore them */
    ArrivalQueue(Console console) {
        this.console = console;
    }

    /** Not a migration: a `--once` target keeps waiting for a real source. */
    @Override
    public void onRefusedConnection(String peer, String reason) {
        if (console != null) {
            console.say("refused a connection from %s: %s", peer, reason);
        }
    }

    @Override
    public void onResumed(ArrivedVm vm) {
        events.add(vm);
    }

    @Override
    public void onFailed(String reason) {
        events.add(reason);
    }

    /** The next guest to arrive; a failure or a timeout is an error. */
    ArrivedVm await(Duration timeout) throws InterruptedException {
        Object event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (event instanceof ArrivedVm vm) {
            return vm;
        }
        throw new CliException(event == null ? "no guest arrived at the target within " + timeout.toSeconds() + " s"
                : "the target failed: " + event);
    }

    /** The next event: an arrived guest or a failure reason. */
    Object next() throws InterruptedException {
        return events.take();
    }
}
