package io.mtemigrate.vmkvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class KvmBackendTest {
    @Test
    void shouldRunWithNativeAccessEnabledForItsModule() {
        // The parent pom's surefire argLine passes --enable-native-access=ALL-UNNAMED; without it FFM only warns.
        assertTrue(KvmMachine.class.getModule().isNativeAccessEnabled(), "native access for "
                + KvmMachine.class.getModule());
    }

    @Test
    void shouldSayWhyWhenKvmIsNotUsable() {
        KvmBackend.Availability kvm = KvmBackend.available();
        assertTrue(kvm.usable() || !kvm.reason().isBlank());
        System.out.println("KVM backend: " + kvm.reason());
    }
}
