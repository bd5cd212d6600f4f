package io.mtemigrate.vmkvm.sys;

/** Turning an ioctl's {@code -errno} into the exception that names it. */
final class Ioctls {
    private Ioctls() {
    }

    /** {@code result} when it is not an error; otherwise throws, saying what the ioctl was asked to do. */
    static int check(KvmIoctl ioctl, int result, String what) {
        if (result < 0) {
            throw new KvmIoctlException(ioctl, -result, what);
        }
        return result;
    }
}
