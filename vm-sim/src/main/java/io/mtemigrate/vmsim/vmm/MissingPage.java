package io.mtemigrate.vmsim.vmm;

/**
 * A vCPU touched a page that has not arrived, and waits for it.
 *
 * @param slotIndex the slot's position in the layout
 * @param page      the page's index in the slot
 * @param write     a data or tag store (a load otherwise)
 */
public record MissingPage(int slotIndex, long page, int vcpuId, boolean write) {
}
