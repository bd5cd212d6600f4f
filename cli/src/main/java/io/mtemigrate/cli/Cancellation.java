package io.mtemigrate.cli;

import io.mtemigrate.proto.MigrationReport;
import io.mtemigrate.source.SourceMigration;

import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Ctrl-C during a migration cancels it cleanly: the hook asks the migration to stop and waits until it has (the
 * target discards its partial VM, the source guest runs again), so the JVM exits only after an orderly end.
 */
final class Cancellation {
    private Cancellation() {
    }

    static MigrationReport around(SourceMigration migration, Supplier<MigrationReport> body) {
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
            return body.get();
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
