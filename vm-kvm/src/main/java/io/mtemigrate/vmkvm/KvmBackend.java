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

    /** Opens {@code /dev/kvm} (and closes it again) to find out. */
    public static Availability available() {
        String arch = System.getProperty("os.arch");
        if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
            return Availability.no("the KVM backend runs x86-64 guests, and this host is " + arch);
        }
        if (!Files.exists(Path.of(KvmDevice.PATH))) {
            return Availability.no(KvmDevice.PATH + " is absent: the host has no KVM (no kvm module, or a container"
                    + " or VM without the device)");
        }
        try (KvmDevice kvm = KvmDevice.open(); VmFd _ = kvm.createVm()) {
            // A device that opens but cannot create a VM (virtualisation off in firmware, a broken nested host).
            return Availability.yes();
        } catch (HostCallException e) {
            if (e.errno() == Libc.EACCES) {
                return Availability.no("no permission to open " + KvmDevice.PATH + " read-write (join the group"
                        + " that owns it, usually kvm): " + e.getMessage());
            }
            return Availability.no(e.getMessage());
        } catch (KvmIoctlException e) {
            return Availability.no(KvmDevice.PATH + " opens but cannot create a VM: " + e.getMessage());
        } catch (IllegalStateException e) {
            return Availability.no(e.getMessage());
        }
    }
}
