package io.mtemigrate.host;

import io.mtemigrate.proto.GuestSpec;
import io.mtemigrate.vmkvm.KvmBackend;
import io.mtemigrate.vmkvm.KvmGuestSpec;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.guest.Workload;
import io.mtemigrate.vmsim.machine.Fill;
import io.mtemigrate.vmsim.machine.MachineSpec;

import java.util.Locale;

/**
 * A {@link GuestSpec} with every default filled in (those of {@code mte-migrate source}) and checked, in the terms of
 * the backend that runs it. The resolved spec is what travels in a VM's origin: the same guest can then be rebuilt,
 * and run without migrations, on any host.
 */
final class GuestSpecs {
    static final long DEFAULT_DIRTY_RATE = 16L << 20;
    /** Steps per second per vCPU of the KVM guest on a software-virtualised host (as the CLI assumes). */
    static final double KVM_STEPS_PER_SECOND = 100_000;

    private GuestSpecs() {
    }

    /** @throws ApiException INVALID_ARGUMENT naming the field, or FAILED_PRECONDITION when /dev/kvm is unusable */
    static GuestSpec resolve(GuestSpec spec) {
        String backend = spec.getBackend().isEmpty() ? "emu" : spec.getBackend().toLowerCase(Locale.ROOT);
        if (!backend.equals("emu") && !backend.equals("kvm")) {
            throw ApiException.invalid("backend '" + spec.getBackend() + "' is not emu or kvm");
        }
        if (spec.getRamBytes() == 0) {
            throw ApiException.invalid("ram_bytes is required (e.g. 64 MiB, 67108864)");
        }
        GuestSpec.Builder resolved = spec.toBuilder().setBackend(backend)
                .setVcpus(spec.getVcpus() == 0 ? 2 : spec.getVcpus())
                .setSeed(spec.hasSeed() ? spec.getSeed() : 1);
        if (backend.equals("kvm")) {
            if (spec.getPageSize() > 4096 || !spec.getWorkload().isEmpty() || !spec.getFill().isEmpty()
                    || spec.hasDirtyRate()) {
                throw ApiException.invalid("page_size, workload, fill and dirty_rate apply to the emulator's guests;"
                        + " the kvm backend runs its own guest program (random writes, 4K pages, no MTE)");
            }
            resolved.setPageSize(4096).setNoMte(true);
            double seconds = 4 + spec.getRamBytes() / 256e6;
            resolved.setSteps(spec.hasSteps() ? spec.getSteps() : (long) (KVM_STEPS_PER_SECOND * seconds));
            GuestSpec done = resolved.build();
            kvm(done);
            return done;
        }
        Workload workload = workload(spec.getWorkload().isEmpty() ? "alloc" : spec.getWorkload());
        Fill fill = fill(spec.getFill().isEmpty() ? "random" : spec.getFill());
        long rate = spec.hasDirtyRate() ? spec.getDirtyRate() : workload == Workload.IDLE ? 0 : DEFAULT_DIRTY_RATE;
        resolved.setPageSize(spec.getPageSize() == 0 ? 4096 : spec.getPageSize())
                .setWorkload(workload.cliName()).setFill(fill.cliName()).setDirtyRate(rate);
        if (!spec.hasSteps()) {
            resolved.setSteps(defaultSteps(workload, rate, resolved.getVcpus(), 4 + spec.getRamBytes() / 256e6));
        }
        GuestSpec done = resolved.build();
        emulated(done);
        return done;
    }

    /** The emulator's guest of a resolved spec. */
    static MachineSpec emulated(GuestSpec spec) {
        PageSize pageSize;
        try {
            pageSize = PageSize.ofBytes(spec.getPageSize());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("page_size " + spec.getPageSize() + " is not 4096, 16384 or 65536");
        }
        if (spec.getVcpus() > 64) {
            throw ApiException.invalid("vcpus must be 1..64, not " + spec.getVcpus());
        }
        try {
            return new MachineSpec(spec.getRamBytes(), pageSize, spec.getVcpus(), !spec.getNoMte(),
                    workload(spec.getWorkload()), fill(spec.getFill()), spec.getSeed(), spec.getSteps(),
                    spec.getDirtyRate());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    /** The KVM guest of a resolved spec; refused when this host's /dev/kvm cannot run it. */
    static KvmGuestSpec kvm(GuestSpec spec) {
        KvmBackend.Availability kvm = KvmBackend.available();
        if (!kvm.usable()) {
            throw ApiException.precondition("backend kvm: " + kvm.reason());
        }
        try {
            return KvmGuestSpec.of(spec.getRamBytes(), spec.getVcpus(), spec.getSeed(), spec.getSteps());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    private static Workload workload(String name) {
        try {
            return Workload.byName(name);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("workload '" + name + "' is not idle, alloc, stream, hotset, tagonly or random");
        }
    }

    private static Fill fill(String name) {
        for (Fill fill : Fill.values()) {
            if (fill.cliName().equalsIgnoreCase(name)) {
                return fill;
            }
        }
        throw ApiException.invalid("fill '" + name + "' is not zero, random, pattern or alloc");
    }

    /** As `mte-migrate source` picks them: the guest runs about {@code seconds} at its dirty rate. */
    static long defaultSteps(Workload workload, long rate, int vcpus, double seconds) {
        int bytes = workload.program().bytesPerStep();
        long perSecond = bytes == 0 ? 20_000 : rate == 0 ? 2_000_000 : Math.max(1, rate / vcpus / bytes);
        return Math.max(1_000, (long) (perSecond * seconds));
    }
}
