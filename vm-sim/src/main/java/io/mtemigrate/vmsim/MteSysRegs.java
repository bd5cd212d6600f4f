package io.mtemigrate.vmsim;

/**
 * The MTE system registers of a vCPU. KVM lists them among a vCPU's registers only when MTE is enabled on the VM,
 * and a migration that leaves them behind changes what the guest's next IRG returns.
 *
 * @param gcrEl1    GCR_EL1: Exclude mask of tags IRG must not pick in bits [15:0], RRND in bit 16
 * @param rgsrEl1   RGSR_EL1: last random TAG in bits [3:0], the LFSR SEED in bits [23:8]
 * @param tfsrEl1   TFSR_EL1: asynchronous tag-check faults at EL1 (TF0 bit 0, TF1 bit 1)
 * @param tfsre0El1 TFSRE0_EL1: asynchronous tag-check faults at EL0 (TF0 bit 0, TF1 bit 1)
 */
public record MteSysRegs(long gcrEl1, long rgsrEl1, long tfsrEl1, long tfsre0El1) {
    public static final int GCR_RRND = 1 << 16;
    public static final long TF0 = 1;
    public static final long TF1 = 2;

    public int exclude() {
        return (int) (gcrEl1 & 0xFFFF);
    }

    public int rgsrTag() {
        return (int) (rgsrEl1 & 0xF);
    }

    public int rgsrSeed() {
        return (int) ((rgsrEl1 >>> 8) & 0xFFFF);
    }

    public static long rgsr(int tag, int seed) {
        return (tag & 0xFL) | ((seed & 0xFFFFL) << 8);
    }
}
