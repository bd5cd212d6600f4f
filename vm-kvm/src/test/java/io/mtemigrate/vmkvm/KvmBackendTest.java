package io.mtemigrate.vmkvm;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvmBackendTest {
    @Test
    void shouldRunWithNativeAccessEnabledForItsModule() {
        // The parent pom's surefire argLine passes --enable-native-access=ALL-UNNAMED; without it FFM only warns.
        assertTrue(KvmMachine.class.getModule().isNativeAccessEnabled(), "native access for "
                + KvmMachine.class.getModule());
    }

    @Test
    void shouldSayADeviceIsAbsent() {
        KvmBackend.Availability kvm = KvmBackend.available(Path.of("/dev/no-such-kvm"));
        assertFalse(kvm.usable());
        assertTrue(kvm.reason().startsWith("/dev/no-such-kvm is absent"), kvm.reason());
    }

    @Test
    void shouldSayADeviceIsNotKvm() {
        KvmBackend.Availability kvm = KvmBackend.available(Path.of("/dev/null"));
        assertFalse(kvm.usable());
        assertEquals("/dev/null is not a KVM device: KVM_GET_API_VERSION failed with ENOTTY (Inappropriate ioctl for"
                + " device): /dev/null", kvm.reason());
    }

    @Test
    void shouldSayWhyWhenKvmIsNotUsable() {
        KvmBackend.Availability kvm = KvmBackend.available();
        assertTrue(kvm.usable() || !kvm.reason().isBlank());
        System.out.println("KVM backend: " + kvm.reason());
    }
}
