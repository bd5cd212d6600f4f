package io.mtemigrate.vmsim;

/** The Linux errno values the KVM interface answers with; the numbers are the kernel's (asm-generic/errno-base.h). */
public enum Errno {
    ENOENT(2),
    E2BIG(7),
    ENXIO(6),
    EBADF(9),
    ENOMEM(12),
    EFAULT(14),
    EBUSY(16),
    EEXIST(17),
    EINVAL(22);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }
}
