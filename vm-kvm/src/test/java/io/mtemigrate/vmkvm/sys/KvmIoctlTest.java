package io.mtemigrate.vmkvm.sys;

import io.mtemigrate.vmkvm.x86.X86Regs;
import io.mtemigrate.vmkvm.x86.X86Sregs;
import io.mtemigrate.vmsim.KvmConstants;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The request numbers and struct sizes are those of the kernel's headers (values from linux/kvm.h, x86-64). */
class KvmIoctlTest {
    @ParameterizedTest
    @CsvSource({
            "KVM_GET_API_VERSION, 0000AE00", "KVM_CREATE_VM, 0000AE01", "KVM_CHECK_EXTENSION, 0000AE03",
            "KVM_GET_VCPU_MMAP_SIZE, 0000AE04", "KVM_CREATE_VCPU, 0000AE41", "KVM_GET_DIRTY_LOG, 4010AE42",
            "KVM_SET_USER_MEMORY_REGION, 4020AE46", "KVM_SET_TSS_ADDR, 0000AE47", "KVM_ENABLE_CAP, 4068AEA3",
            "KVM_ARM_MTE_COPY_TAGS, 8030AEB4", "KVM_CLEAR_DIRTY_LOG, C018AEC0", "KVM_RUN, 0000AE80",
            "KVM_GET_REGS, 8090AE81", "KVM_SET_REGS, 4090AE82", "KVM_GET_SREGS, 8138AE83", "KVM_SET_SREGS, 4138AE84"})
    void shouldEncodeRequestsAsTheHeadersDo(KvmIoctl ioctl, String hex) {
        assertEquals(Long.parseLong(hex, 16), ioctl.request(), ioctl.name());
    }

    @Test
    void shouldAgreeWithTheEmulatorOnTheMteCopyRequest() {
        assertEquals(KvmConstants.KVM_ARM_MTE_COPY_TAGS, KvmIoctl.KVM_ARM_MTE_COPY_TAGS.request());
    }

    @Test
    void shouldLayStructsOutAsTheKernelDoes() {
        assertEquals(32, KvmStructs.MEMORY_REGION.byteSize());
        assertEquals(24, KvmStructs.REGION_USERSPACE_ADDR);
        assertEquals(104, KvmStructs.ENABLE_CAP.byteSize());
        assertEquals(8, KvmStructs.CAP_ARGS);
        assertEquals(16, KvmStructs.DIRTY_LOG.byteSize());
        assertEquals(8, KvmStructs.DIRTY_LOG_BITMAP);
        assertEquals(24, KvmStructs.CLEAR_DIRTY_LOG.byteSize());
        assertEquals(16, KvmStructs.CLEAR_BITMAP);
        assertEquals(48, KvmStructs.COPY_MTE_TAGS.byteSize());
        assertEquals(32, KvmStructs.TAGS_RESERVED);
        assertEquals(144, X86Regs.LAYOUT.byteSize());
        assertEquals(24, X86Sregs.SEGMENT.byteSize());
        assertEquals(312, X86Sregs.LAYOUT.byteSize());
        assertEquals(224, X86Sregs.CR0);
        assertEquals(264, X86Sregs.EFER);
    }

    @Test
    void shouldNameTheIoctlAndTheErrnoInItsMessage() {
        KvmIoctlException e = new KvmIoctlException(KvmIoctl.KVM_RUN, Libc.EFAULT, "vCPU 0");
        assertEquals("KVM_RUN failed with EFAULT (Bad address): vCPU 0", e.getMessage());
        assertEquals("EFAULT", e.errnoName());
        assertEquals(KvmIoctl.KVM_RUN, e.ioctl());
    }
}
