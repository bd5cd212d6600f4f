package io.mtemigrate.vmkvm.arm64;

import io.mtemigrate.vmkvm.KvmBackend;
import io.mtemigrate.vmkvm.sys.KvmDevice;
import io.mtemigrate.vmkvm.sys.KvmIoctl;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.VmFd;
import io.mtemigrate.vmsim.KvmConstants;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can be checked of the arm64 tag copier on an x86-64 host: its argument checks, and that its ioctl reaches
 * the kernel intact (which answers ENOTTY, as x86 has no such ioctl). The copy itself is untested here.
 */
class ArmMteTagCopierTest {
    @Test
    void shouldReachTheKernelWhichOnX86KnowsNoSuchIoctl() {
        KvmBackend.Availability kvm = KvmBackend.available();
        Assumptions.assumeTrue(kvm.usable(), kvm.reason());
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "an x86-64 host");
        try (KvmDevice device = KvmDevice.open(); VmFd vm = device.createVm()) {
            ArmMteTagCopier copier = new ArmMteTagCopier(vm);
            KvmIoctlException e = assertThrows(KvmIoctlException.class, () -> copier.copyMteTags(0, 4096,
                    ByteBuffer.allocateDirect(256), KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0));
            assertEquals(KvmIoctl.KVM_ARM_MTE_COPY_TAGS, e.ioctl());
            assertEquals("ENOTTY", e.errnoName());
            assertThrows(KvmIoctlException.class, () -> copier.copyMteTags(0, 4096, ByteBuffer.allocate(256),
                    KvmConstants.KVM_ARM_TAGS_TO_GUEST, 0, 0), "a heap buffer goes through native memory");
        }
    }

    @Test
    void shouldRefuseABufferTooSmallForTheTagsBeforeTheKernelWritesPastIt() {
        ArmMteTagCopier copier = new ArmMteTagCopier(null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> copier.copyMteTags(0, 8192,
                ByteBuffer.allocateDirect(511), KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0));
        assertTrue(e.getMessage().contains("have 512 tag bytes, and the buffer has room for 511"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> copier.copyMteTags(0, 1L << 31,
                ByteBuffer.allocateDirect(16), KvmConstants.KVM_ARM_TAGS_FROM_GUEST, 0, 0));
    }
}
