package io.mtemigrate.cli;

import io.mtemigrate.cli.certs.CertificateMaker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "certs", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Makes a private CA and one certificate each for a source and a target, for mutual TLS"
                + " (with the JDK's keytool).",
                "Files in --out: ca.p12 (the CA's key: keep it off the hosts), ca.pem, trust.p12 (copy to both hosts),"
                        + " source.p12 (to the source host), target.p12 (to the target host), host.p12 (to each"
                        + " 'mte-migrate host', which both receives and sends; it names the --target-name too),"
                        + " password (to both"
                        + " hosts; it opens every store).",
                "For production, use certificates from your own CA in PKCS#12 form instead."})
final class CertsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory for the files; must not hold any of them yet.")
    Path out;

    @Option(names = "--target-name", paramLabel = "NAME", split = ",", defaultValue = "localhost,127.0.0.1",
            description = "Host names and IP addresses the source will dial the target by; the source checks them"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> targetNames;

    @Option(names = "--days", paramLabel = "N", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() throws InterruptedException {
        if (days < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days must be at least 1");
        }
        for (String name : targetNames) {
            if (!name.matches("[A-Za-z0-9.:-]+")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "'" + name + "' is not a host name or IP address");
            }
        }
        try {
            CertificateMaker.make(out, targetNames, days);
        } catch (IOException e) {
            throw new CliException("cannot make the certificates: " + e.getMessage(), e);
        }
        PrintStream stdout = System.out;
        stdout.printf("wrote %s, ca.pem, %s, %s, %s, %s and %s in %s; the target and host certificates name %s%n",
                CertificateMaker.CA, CertificateMaker.TRUST, CertificateMaker.SOURCE, CertificateMaker.TARGET,
                CertificateMaker.HOST, CertificateMaker.PASSWORD, out, String.join(", ", targetNames));
        stdout.println("on the target host: mte-migrate target --listen HOST:7777 --tls-keystore target.p12"
                + " --tls-truststore trust.p12 --tls-password-file password");
        stdout.println("on the source host: mte-migrate source --connect HOST:7777 --tls-keystore source.p12"
                + " --tls-truststore trust.p12 --tls-password-file password");
        return 0;
    }
}
