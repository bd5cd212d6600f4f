package io.mtemigrate.e2e;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The migration engine drives VMs only through vm-sim's capability interfaces, so it cannot tell the emulator from
 * a real KVM guest: its sources name neither backend's classes.
 */
class EngineIndependenceTest {
    private static final List<String> BACKEND_NAMES = List.of("emu.", "SimulatedMachine", "HostMemory", "vmkvm",
            "KvmMachine", "EmulatedKvm");

    @ParameterizedTest
    @ValueSource(strings = {"migration-source", "migration-target", "migration-common"})
    void shouldNameNoBackendClassInTheEngine(String module) throws IOException {
        Path sources = Path.of("..", module, "src", "main", "java");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertFalse(files.isEmpty(), "no sources under " + sources.toAbsolutePath());
        List<String> hits = files.stream().flatMap(EngineIndependenceTest::backendMentions).toList();
        assertEquals(List.of(), hits);
    }

    private static Stream<String> backendMentions(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return java.util.stream.IntStream.range(0, lines.size()).boxed()
                    .flatMap(i -> BACKEND_NAMES.stream().filter(lines.get(i)::contains)
                            .map(name -> file.getFileName() + ":" + (i + 1) + " names " + name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
