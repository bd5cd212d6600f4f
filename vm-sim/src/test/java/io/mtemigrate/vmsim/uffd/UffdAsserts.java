package io.mtemigrate.vmsim.uffd;

import io.mtemigrate.vmsim.Errno;
import io.mtemigrate.vmsim.KvmVm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Opening a VM's userfaultfd and checking refusals, for the uffd tests of every package. */
public final class UffdAsserts {
    private UffdAsserts() {
    }

    public static UserFaultFd open(KvmVm vm) {
        return UserFaults.of(vm).orElseThrow().userfaultfd();
    }

    public static UffdException assertErrno(Errno expected, Runnable call) {
        UffdException e = assertThrows(UffdException.class, call::run);
        assertEquals(expected, e.errno(), e.getMessage());
        return e;
    }
}
