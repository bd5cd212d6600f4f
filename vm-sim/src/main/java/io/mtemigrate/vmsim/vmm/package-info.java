/**
 * What a migration engine needs of a VM, in small capabilities (Cloud Hypervisor's {@code Pausable} /
 * {@code Snapshottable} / {@code Migratable} stack is the model): guest RAM as mapped memory files, dirty
 * tracking, MTE tag copying, pausing, vCPU snapshots, throttling, and building an empty VM from a layout. The
 * emulator and the real {@code /dev/kvm} backend both implement them; the engine cannot tell which it drives.
 */
package io.mtemigrate.vmsim.vmm;
