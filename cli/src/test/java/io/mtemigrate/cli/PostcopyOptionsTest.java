package io.mtemigrate.cli;

import io.mtemigrate.incoming.TargetConfig;
import io.mtemigrate.source.MigrationConfig;
import io.mtemigrate.source.Postcopy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What --postcopy[=WHEN], --postcopy-recovery-timeout and --recovery-timeout turn into, as parsed by picocli. */
class PostcopyOptionsTest {
    private static MigrationConfig demo(String... args) {
        CommandLine commandLine = new CommandLine(new DemoCommand());
        commandLine.parseArgs(args);
        DemoCommand demo = commandLine.getCommand();
        return demo.migration.config(commandLine);
    }

    @Test
    void shouldMigrateWithPreCopyOnlyWithoutTheOption() {
        assertEquals(Postcopy.off(), demo().postcopy());
        assertEquals(Postcopy.off(), demo("--channels", "3").postcopy());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--postcopy | FIRST_PASS | 0",
            "--postcopy=first-pass | FIRST_PASS | 0",
            "--postcopy=start | START | 0",
            "--postcopy=rounds:3 | AFTER_ROUNDS | 3",
            "--postcopy=rounds:30 | AFTER_ROUNDS | 30",
            "--postcopy=when-stuck | WHEN_STUCK | 0",
            "--postcopy=on-request | ON_REQUEST | 0",
            "--postcopy when-stuck | WHEN_STUCK | 0",
            "--postcopy --channels 4 | FIRST_PASS | 0"})
    void shouldReadTheMomentOfTheSwitch(String args, Postcopy.When when, int rounds) {
        Postcopy plan = demo(args.split(" ")).postcopy();
        assertEquals(when, plan.when());
        assertEquals(rounds, plan.afterRounds());
        assertEquals(Duration.ofMinutes(5), plan.recoveryTimeout());
    }

    @Test
    void shouldLeaveTheOtherOptionsAloneAfterABarePostcopy() {
        assertEquals(4, demo("--postcopy", "--channels", "4").channels());
    }

    @Test
    void shouldTakeTheRecoveryTimeout() {
        assertEquals(Duration.ofSeconds(90),
                demo("--postcopy=when-stuck", "--postcopy-recovery-timeout", "90s").postcopy().recoveryTimeout());
    }

    @Test
    void shouldGiveTheTargetAndTheHostTheirRecoveryTimeout() {
        for (Object command : new Object[]{new TargetCommand(), new HostCommand()}) {
            CommandLine commandLine = new CommandLine(command);
            commandLine.parseArgs("--recovery-timeout", "2m");
            IncomingLimits limits = command instanceof TargetCommand target ? target.limits : ((HostCommand) command).limits;
            assertEquals(Duration.ofMinutes(2), limits.applyTo(TargetConfig.loopback()).recoveryTimeout());
        }
        CommandLine defaults = new CommandLine(new TargetCommand());
        defaults.parseArgs();
        assertEquals(Duration.ofMinutes(5),
                ((TargetCommand) defaults.getCommand()).limits.applyTo(TargetConfig.loopback()).recoveryTimeout());
    }
}
