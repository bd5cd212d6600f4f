package io.mtemigrate.vmkvm;

import io.mtemigrate.vmkvm.sys.KvmIoctlException;
import io.mtemigrate.vmkvm.sys.Libc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest write the host cannot back: guest memory on a tmpfs that fills up while the guest runs. KVM cannot fault
 * the page in, and the factory explains the vCPU's failure as the memory fault it is. Needs root, to mount a small
 * tmpfs of its own.
 */
class MemoryFaultTest {
    private Path mount;

    @BeforeEach
    void smallTmpfs() throws IOException, InterruptedException {
        KvmTests.assumeKvm();
        mount = Files.createTempDirectory("kvm-full-tmpfs");
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor() == 0, "cannot mount a tmpfs (needs root): " + output);
    }

    @AfterEach
    void unmount() throws IOException, InterruptedException {
        if (mount != null) {
            // Lazily: the guest memory's mappings go only when the GC finds them unreachable.
            new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor();
            Files.deleteIfExists(mount);
        }
    }

    @Test
    void shouldExplainAGuestWriteToAFullMemoryFile() throws Exception {
        KvmGuestSpec spec = KvmGuestSpec.of(1L << 20, 1, 1, 100_000).withExitInterval(256).withMemoryDirectory(mount);
        KvmVmFactory factory = new KvmVmFactory(mount);
        try (KvmMachine vm = KvmMachine.boot(spec)) {
            fill(mount.resolve("filler"));
            vm.start();
            assertTrue(vm.awaitHalted(KvmTests.HALT_TIMEOUT));
            Throwable failure = vm.vcpuFailure();
            assertTrue(failure instanceof GuestMemoryFaultException
                    || failure instanceof KvmIoctlException e && e.errno() == Libc.EFAULT, "failure: " + failure);
            assertTrue(vm.vcpuSteps()[0] < spec.steps(), "the guest cannot have written all its pages");
            String explained = factory.explainMemoryFault(failure).orElseThrow(() -> new AssertionError(failure));
            assertTrue(explained.contains(mount.toString()), explained);
        }
    }

    private static void fill(Path file) throws IOException {
        byte[] chunk = new byte[4096];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }
}
