package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.KvmVm;

import java.util.Optional;

/**
 * The {@code userfaultfd(2)} system call as the emulated VM offers it: kept off {@link KvmVm}, whose methods are
 * the kernel's KVM ioctls of today, because the MTE part of it is a proposal no kernel implements yet.
 */
public interface UserFaults {
    /** A new userfaultfd over this VM's guest memory. */
    UserFaultFd userfaultfd();

    /** The VM's userfaultfd, when its backend offers one (the emulator does; a real KVM backend does not yet). */
    static Optional<UserFaults> of(KvmVm vm) {
        return vm instanceof UserFaults faults ? Optional.of(faults) : Optional.empty();
    }
}
