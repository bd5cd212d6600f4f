package io.mtemigrate.cli.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliLauncherTest {
    @Test
    void shouldStartThisCliAgainWithTheSameJvm() throws IOException, InterruptedException {
        List<String> command = CliLauncher.current().command(List.of("--version"));
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), command.getFirst());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running");
        assertEquals(0, process.exitValue(), out);
        assertTrue(out.contains("mte-migrate"), out);
    }
}
