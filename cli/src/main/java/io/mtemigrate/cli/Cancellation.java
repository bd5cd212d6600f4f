package io.mtemigrate.cli;

import io.mtemigrate.source.SourceMigration;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Ctrl-C during a migration cancels it cleanly: the hook asks the migration to stop and waits until the body has
 * finished (the target discards its partial VM, the source guest runs again, the report is written), so the JVM
 * exits only after an orderly end.
 */
final class Cancellation {
    private Cancellation() {
    }

    static <T> T around(SourceMigration migration, Callable<T> body) throws Exception {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            migration.cancel();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mte-migrate-cancel");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return body.call();
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it is waiting for exactly this finally block.
            }
        }
    }
}
