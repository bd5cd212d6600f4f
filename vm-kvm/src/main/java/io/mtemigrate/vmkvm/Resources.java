package io.mtemigrate.vmkvm;

import java.util.ArrayList;
import java.util.List;

/** What a machine made, closed in reverse order: vCPUs before their VM, the VM before {@code /dev/kvm} and memory. */
final class Resources {
    private final List<AutoCloseable> made = new ArrayList<>();

    <T extends AutoCloseable> T add(T resource) {
        made.add(resource);
        return resource;
    }

    /**
     * Closes everything, even after a failure. With {@code primary} (a build that failed), failures to close are
     * added to it; otherwise the first one is thrown once all are closed.
     */
    void closeAll(Throwable primary) {
        RuntimeException first = null;
        for (int i = made.size() - 1; i >= 0; i--) {
            try {
                made.get(i).close();
            } catch (Exception e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException("closing failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        made.clear();
        if (first != null) {
            throw first;
        }
    }
}
