package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.HostCallException;
import io.mtemigrate.vmkvm.sys.KvmDevice;
import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.Libc;
import io.mtemigrate.vmkvm.sys.VmFd;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this host can run the KVM backend, and if not, why: what a test skips with, or a CLI tells the user. */
public final class KvmBackend {
    private KvmBackend() {
    }

    /** {@code usable}, or the reason it is not. */
    public record Availability(boolean usable, String reason) {
        static Availability yes() {
            return new Availability(true, "/dev/kvm is usable");
        }

        static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }

    /** Opens {@code /dev/kvm} and creates a VM (and closes both again) to find out. */
    public static Availability available() {
        String arch = System.getProperty("os.arch");
        if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
            return Availability.no("the KVM backend runs x86-64 guests, and this host is " + arch);
        }
        return available(Path.of(KvmDevice.PATH));
    }

    static Availability available(Path device) {
        if (!Files.exists(device)) {
            return Availability.no(device + " is absent: the host has no KVM (no kvm module, or a container or VM"
                    + " without the device)");
        }
        KvmDevice kvm;
        try {
            kvm = KvmDevice.open(device.toString());
        } catch (HostCallException e) {
            return Availability.no(e.errno() == Libc.EACCES
                    ? "no permission to open " + device + " read-write (join the group that owns it, usually kvm): "
                            + e.getMessage()
                    : e.getMessage());
        } catch (KvmIoctlException e) {
            return Availability.no(device + " is not a KVM device: " + e.getMessage());
        } catch (IllegalStateException e) {
            return Availability.no(e.getMessage());
        }
        try (kvm; VmFd _ = kvm.createVm()) {
            // A device that opens but cannot create a VM: virtualisation off in firmware, a broken nested host.
            return Availability.yes();
        } catch (KvmIoctlException e) {
            return Availability.no(device + " opens but cannot create a VM: " + e.getMessage());
        }
    }
}
