package io.mtemigrate.cli;

import io.mtemigrate.vmkvm.KvmBackend;
import io.mtemigrate.vmkvm.KvmVmFactory;
import io.mtemigrate.vmsim.PageSize;
import io.mtemigrate.vmsim.machine.EmulatorVmFactory;
import io.mtemigrate.vmsim.vmm.VmFactory;

import java.nio.file.Path;
import java.util.Locale;

/** What runs the guests of a command: the emulator (arm64 with MTE) or this host's real /dev/kvm (x86-64). */
enum Backend {
    EMU, KVM;

    String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The factory a target builds arriving VMs with; it commits {@code preallocBytes} now (the emulator only). */
    VmFactory targetFactory(Path memoryDirectory, long preallocBytes, PageSize preallocPageSize) {
        return switch (this) {
            case EMU -> new EmulatorVmFactory(true, memoryDirectory, preallocBytes, preallocPageSize);
            case KVM -> {
                requireUsable();
                yield new KvmVmFactory(memoryDirectory);
            }
        };
    }

    /** A clear error, before anything starts, when this host cannot run the backend's guests. */
    void requireUsable() {
        if (this == KVM) {
            KvmBackend.Availability kvm = KvmBackend.available();
            if (!kvm.usable()) {
                throw new CliException("--backend kvm: " + kvm.reason());
            }
        }
    }

    static final class Converter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            for (Backend backend : values()) {
                if (backend.cliName().equals(value)) {
                    return backend;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a backend: emu or kvm");
        }
    }
}
