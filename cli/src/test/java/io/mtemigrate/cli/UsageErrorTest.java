package io.mtemigrate.cli;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

/**
 * A bad command line is refused before anything starts: one line on stderr naming the option and what it allows
 * (then a pointer to --help), exit status 2, nothing on stdout, no stack trace.
 */
@Timeout(20)
class UsageErrorTest {
    static Stream<Arguments> badCommandLines() {
        return Stream.of(
                bad("shouldRefuseARamSizeThatIsNoMultipleOfThePageSize", "demo --ram 3", "--ram", "multiple of the page size"),
                bad("shouldRefuseAnUnparsableRamSize", "demo --ram 12X", "--ram", "'12X'", "K, M or G"),
                bad("shouldRefuseZeroRam", "source --connect 127.0.0.1:7777 --ram 0", "--ram", "positive multiple"),
                bad("shouldRefuseRamTooSmallForTheVcpus", "demo --ram 16K --vcpus 2", "--ram", "at least 4 pages"),
                bad("shouldRefuseAnUnknownPageSize", "demo --page-size 8K", "--page-size", "'8K'", "4K, 16K or 64K"),
                bad("shouldRefuseZeroChannels", "demo --channels 0", "--channels", "1..16"),
                bad("shouldRefuseSeventeenChannels", "source --connect 127.0.0.1:7777 --channels 17", "--channels", "1..16"),
                bad("shouldRefuseZeroVcpus", "demo --vcpus 0", "--vcpus", "1..64"),
                bad("shouldRefuseAVcpuCountThatIsNoNumber", "record --out x.mtes --vcpus two", "--vcpus", "'two'"),
                bad("shouldRefuseAPortOutOfRange", "source --connect 127.0.0.1:70000", "--connect", "70000", "1..65535"),
                bad("shouldRefuseAnAddressWithoutPort", "source --connect nohost", "--connect", "'nohost'", "HOST:PORT"),
                bad("shouldRefuseAReplayTargetWithoutPort", "replay x.mtes --to nohost", "--to", "HOST:PORT"),
                bad("shouldRefuseAListenPortOutOfRange", "target --listen 127.0.0.1:65536", "--listen", "0..65535"),
                bad("shouldRefuseAnUnparsableDirtyRate", "demo --dirty-rate fast", "--dirty-rate", "'fast'", "or max"),
                bad("shouldRefuseAnUnparsableBandwidth", "demo --max-bandwidth lots", "--max-bandwidth", "'lots'", "or max"),
                bad("shouldRefuseAnUnparsableTimeout", "demo --timeout soon", "--timeout", "'soon'", "30s"),
                bad("shouldRefuseANegativeTimeout", "demo --timeout -5s", "--timeout", "negative"),
                bad("shouldRefuseAnUnknownCompression", "demo --compress lz4", "--compress", "none or zstd", "'lz4'"),
                bad("shouldRefuseAnUnknownWorkload", "demo --workload busy", "--workload", "busy"),
                bad("shouldRefuseAnUnknownFill", "demo --fill ones", "--fill", "zero, random, pattern"),
                bad("shouldRefuseNegativeSteps", "demo --steps -1", "--steps", "at least 1", "-1"),
                bad("shouldRefuseNegativeStepsForSource", "source --connect 127.0.0.1:7777 --steps -1", "--steps",
                        "at least 0", "-1"),
                bad("shouldRefuseZeroStepsForADemoThatWaitsForTheGuestToFinish", "demo --steps 0 --ram 64M", "--steps",
                        "at least 1", "runs the guest until it is stopped", "demo waits for it to finish on the target"),
                bad("shouldRefuseZeroStepsForARecordingThatAReplayWouldWaitFor", "record --out x.mtes --steps 0",
                        "--steps", "at least 1", "a replay of the recording would wait"),
                bad("shouldRefuseZeroDowntime", "demo --downtime-ms 0", "--downtime-ms", "at least 1"),
                bad("shouldRefuseZeroRounds", "demo --max-rounds 0", "--max-rounds", "at least 1"),
                bad("shouldRefuseAnUnknownBackend", "demo --backend xen", "--backend", "'xen'", "emu or kvm"),
                bad("shouldRefuseAnEmulatorWorkloadOnKvm", "demo --backend kvm --workload idle", "--workload",
                        "applies to the emulator's guests"),
                bad("shouldRefuseAPageSizeOnKvm", "source --connect 127.0.0.1:7777 --backend kvm --page-size 64K",
                        "--page-size", "applies to the emulator's guests"),
                bad("shouldRefuseKvmRamBeyond32BitAddresses", "demo --backend kvm --ram 4G", "RAM", "32 bits"),
                bad("shouldRefuseKvmStepsBeyondTheGuestCounter", "demo --backend kvm --ram 64M --steps 5000000000",
                        "steps", "2^32"),
                bad("shouldRefusePreallocationOnAKvmTarget", "target --backend kvm --prealloc 64M", "--prealloc",
                        "applies to the emulator's VMs"),
                bad("shouldRefuseAnUnknownOption", "demo --bogus", "--bogus", "Unknown option"),
                bad("shouldRefuseAnUnknownCommand", "migrate", "migrate"),
                bad("shouldAskForACommand", "", "a command is required", "demo, source, target, record"),
                bad("shouldAskForTheTargetOfSource", "source --ram 16M", "--connect"),
                bad("shouldAskForTheFileOfRecord", "record --ram 16M", "--out"),
                bad("shouldAskForTheFileOfReplay", "replay", "FILE"),
                bad("shouldRefuseToListenOnAllAddressesWithoutInsecure", "target --listen 0.0.0.0:0", "--listen",
                        "--insecure"),
                bad("shouldRefuseToListenOnANameThatOnlyLooksLikeLoopback", "target --listen 127.0.0.1.example.com:7777",
                        "--insecure"),
                bad("shouldRefuseToSendBeyondLoopbackWithoutTls", "source --connect 192.0.2.1:7777", "--connect",
                        "--tls-keystore", "--insecure"),
                bad("shouldAskForAllThreeTlsFiles", "target --tls-keystore target.p12", "--tls-truststore",
                        "--tls-password-file"),
                bad("shouldRefuseZeroConcurrentMigrations", "target --max-migrations 0", "--max-migrations", "at least 1"),
                bad("shouldRefuseAZeroHandshakeTimeout", "target --handshake-timeout 0", "--handshake-timeout", "positive"),
                bad("shouldRefuseAnUnparsableStallTimeout", "demo --stall-timeout later", "--stall-timeout", "'later'"),
                bad("shouldAskForTheDirectoryOfCerts", "certs", "--out"),
                bad("shouldRefuseToReplayBeyondLoopbackWithoutTls", "replay x.mtes --to 192.0.2.1:7777", "--to",
                        "--insecure"),
                bad("shouldRefuseATinyInFlightBudget", "demo --max-in-flight 64K", "--max-in-flight", "at least 1M"),
                bad("shouldRefuseATargetNameThatIsNoHostName", "certs --out x --target-name a/b", "'a/b'"),
                bad("shouldRefuseAnUnknownPostcopyMoment", "demo --postcopy=sometimes", "--postcopy", "'sometimes'",
                        "start, first-pass, rounds:N (N >= 1), when-stuck or on-request"),
                bad("shouldRefusePostcopyAfterZeroRounds", "source --connect 127.0.0.1:7777 --postcopy=rounds:0",
                        "--postcopy", "at least 1 round", "first-pass, rounds:N"),
                bad("shouldRefusePostcopyAfterRoundsThatAreNoNumber", "demo --postcopy=rounds:many", "--postcopy",
                        "'many'", "when-stuck or on-request"),
                bad("shouldRefusePostcopyAfterMoreRoundsThanPreCopyRuns", "demo --postcopy=rounds:31",
                        "--postcopy=rounds:31 would never switch", "after 30 rounds (--max-rounds)"),
                bad("shouldRefuseToRecordWithPostcopy", "record --out x.mtes --postcopy", "--postcopy",
                        "a recording cannot switch to post-copy"),
                bad("shouldRefusePostcopyOnKvm", "demo --backend kvm --postcopy", "--postcopy",
                        "kvm backend cannot run a guest before its memory arrives"),
                bad("shouldRefusePostcopyOnKvmForSource", "source --connect 127.0.0.1:7777 --backend kvm"
                        + " --postcopy=when-stuck", "--postcopy", "kvm backend"),
                bad("shouldRefusePostcopyOnRequestWhereNothingCanAsk", "demo --postcopy=on-request",
                        "--postcopy=on-request", "vm migrate", "vm set --start-postcopy"),
                bad("shouldRefuseARecoveryTimeoutWithoutPostcopy", "demo --postcopy-recovery-timeout 1m",
                        "--postcopy-recovery-timeout", "only with --postcopy"),
                bad("shouldRefuseAZeroPostcopyRecoveryTimeout", "demo --postcopy --postcopy-recovery-timeout 0",
                        "--postcopy-recovery-timeout", "positive"),
                bad("shouldRefuseAnUnparsablePostcopyRecoveryTimeout", "demo --postcopy --postcopy-recovery-timeout soon",
                        "--postcopy-recovery-timeout", "'soon'"),
                bad("shouldRefuseAZeroRecoveryTimeoutOnATarget", "target --recovery-timeout 0", "--recovery-timeout",
                        "positive"),
                bad("shouldRefuseAnUnparsableRecoveryTimeoutOnAHost", "host --recovery-timeout later",
                        "--recovery-timeout", "'later'"));
    }

    private static Arguments bad(String name, String commandLine, String... mentions) {
        return argumentSet(name, commandLine, mentions);
    }

    @ParameterizedTest
    @MethodSource("badCommandLines")
    void shouldRefuseABadCommandLineWithOneLineAndStatus2(String commandLine, String[] mentions) {
        Cli.Run run = Cli.run(commandLine.isEmpty() ? new String[0] : commandLine.split(" "));

        assertEquals(2, run.status(), run.toString());
        String line = run.firstErrLine();
        assertTrue(line.startsWith("mte-migrate: "), run.toString());
        for (String mention : mentions) {
            assertTrue(line.contains(mention), "the message should name " + mention + ": " + line);
        }
        assertTrue(run.errLines().size() <= 2 && run.err().contains("--help"),
                "one line, then the pointer to --help:\n" + run.err());
        assertEquals("", run.out(), "nothing on stdout");
        run.assertNoStackTrace();
    }
}
