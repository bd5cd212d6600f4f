package io.mtemigrate.vmsim;

/** The system-level KVM interface ({@code /dev/kvm}): what the host offers and creating VMs. */
public interface Kvm {
    /** {@code KVM_CHECK_EXTENSION}: 0 when the capability is absent, otherwise a capability-specific positive value. */
    int checkExtension(int capability);

    /** {@code KVM_CREATE_VM} on a host whose page size is {@code pageSize}. */
    KvmVm createVm(PageSize pageSize);
}
