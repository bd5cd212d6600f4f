/**
 * A real {@code /dev/kvm} backend for x86-64 hosts, through the FFM API, behind the capability interfaces of
 * {@code io.mtemigrate.vmsim.vmm}: a migration engine drives a {@link io.mtemigrate.vmkvm.KvmMachine} exactly as
 * it drives the emulator's machine.
 * <ul>
 *   <li>A source boots a guest: {@code KvmMachine.boot(KvmGuestSpec.of(ram, vcpus, seed, steps))}, then
 *       {@code start()}.</li>
 *   <li>A target builds empty VMs: {@code new KvmVmFactory(memoryDirectory).create(layout)}, copies RAM into
 *       {@code ramSlots()}, {@code restoreVcpus(...)}, {@code start()}.</li>
 *   <li>{@link io.mtemigrate.vmkvm.KvmBackend#available()} says whether this host can, and if not why.</li>
 * </ul>
 * The guest is {@link io.mtemigrate.vmkvm.x86.RandomWritesGuest}, which exits to the VMM every N steps: pauses and
 * the throttle take effect there. {@code sys} holds the ioctls and kernel structs, {@code x86} the guest and its
 * vCPU state, {@code arm64} the MTE tag copier an arm64 host would use (untested).
 */
package io.mtemigrate.vmkvm;
