package io.mtemigrate.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the fresh pair fails: with the reason, within its timeouts, and with no process left behind. */
class FreshPairTest {
    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void shouldGiveTheTargetsLastWordsWhenItExitsBeforeListening() throws Exception {
        FreshPair pair = new FreshPair(fake("echo 'mte-migrate: cannot listen on 127.0.0.1:0: no such luck' >&2; exit 3",
                "exit 0"), LONG, LONG);
        FreshPair.Result result = pair.run(1 << 20, 2);
        assertFalse(result.completed());
        assertNull(result.report());
        assertEquals("the fresh target exited with 3 before it said where it listens: mte-migrate: cannot listen on"
                + " 127.0.0.1:0: no such luck", result.error());
    }

    @Test
    void shouldKillATargetThatNeverSaysWhereItListens(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("target.pid");
        FreshPair pair = new FreshPair(fake("echo $$ > " + pid + "; exec sleep 60", "exit 0"), SHORT, LONG);
        FreshPair.Result result = pair.run(1 << 20, 2);
        assertEquals("the fresh target did not say where it listens within 1 s", result.error());
        assertGone(pid);
    }

    @Test
    void shouldKillBothWhenTheSourceDoesNotFinishInTime(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("target.pid");
        Path source = dir.resolve("source.pid");
        FreshPair pair = new FreshPair(fake("echo $$ > " + target + "; echo 'mte-migrate: listening on 127.0.0.1:4567'"
                + " >&2; exec sleep 60", "echo $$ > " + source + "; exec sleep 60"), LONG, SHORT);
        FreshPair.Result result = pair.run(1 << 20, 2);
        assertEquals("the fresh source did not finish within 1 s", result.error());
        assertGone(target);
        assertGone(source);
    }

    @Test
    void shouldSayWhyWhenTheSourceWritesNoReport(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("target.pid");
        FreshPair pair = new FreshPair(fake("echo $$ > " + target + "; echo 'mte-migrate: listening on 127.0.0.1:4567'"
                + " >&2; exec sleep 60", "echo 'mte-migrate: cannot connect to 127.0.0.1:4567' >&2; exit 1"), LONG, LONG);
        FreshPair.Result result = pair.run(1 << 20, 2);
        assertEquals("the fresh source exited with 1 and wrote no report: mte-migrate: cannot connect to"
                + " 127.0.0.1:4567", result.error());
        assertGone(target);
    }

    @Test
    void shouldPassTheListeningPortAndTheCaseToTheSource(@TempDir Path dir) throws Exception {
        Path args = dir.resolve("source.args");
        FreshPair pair = new FreshPair(fake("echo 'mte-migrate: listening on 127.0.0.1:4567' >&2; exec sleep 60",
                "echo \"$@\" > " + args + "; exit 1"), LONG, LONG);
        pair.run(64L << 20, 3);
        String seen = Files.readString(args).strip();
        assertTrue(seen.startsWith("source --connect 127.0.0.1:4567 --ram 67108864 --workload idle --fill random"
                + " --channels 3 --json "), seen);
    }

    /** A launcher that runs {@code target} and {@code source} as the given shell scripts, with the CLI's arguments. */
    private static CliLauncher fake(String target, String source) {
        return args -> {
            List<String> command = new ArrayList<>(List.of("sh", "-c", args.getFirst().equals("target") ? target : source,
                    "mte-migrate"));
            command.addAll(args);
            return command;
        };
    }

    private static void assertGone(Path pidFile) throws Exception {
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
}
