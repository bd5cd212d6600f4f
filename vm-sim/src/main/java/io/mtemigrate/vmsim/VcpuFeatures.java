package io.mtemigrate.vmsim;

/** The {@code KVM_ARM_VCPU_INIT} features the emulator models: whether EL1 runs AArch32 ({@code KVM_ARM_VCPU_EL1_32BIT}). */
public record VcpuFeatures(boolean el1Aarch32) {
    public static final VcpuFeatures AARCH64 = new VcpuFeatures(false);
    public static final VcpuFeatures AARCH32 = new VcpuFeatures(true);
}
