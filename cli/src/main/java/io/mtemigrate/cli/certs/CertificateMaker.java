package io.mtemigrate.cli.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Makes a private CA and a source and a target certificate signed by it, with the JDK's keytool (so the steps are
 * the documented keytool steps, and no crypto library is needed). Everything is PKCS#12 and shares one random
 * password: {@code ca.p12} (the CA's key: keep it away from the hosts), {@code ca.pem}, {@code trust.p12} (the CA certificate both
 * hosts trust), {@code source.p12} and {@code target.p12} (each host's key and chain), {@code password}.
 */
public final class CertificateMaker {
    public static final String CA = "ca.p12";
    public static final String TRUST = "trust.p12";
    public static final String SOURCE = "source.p12";
    public static final String TARGET = "target.p12";
    /** For `mte-migrate host`, which both receives migrations (as a server) and sends them (as a client). */
    public static final String HOST = "host.p12";
    public static final String PASSWORD = "password";

    private final Path dir;
    private final int days;

    private CertificateMaker(Path dir, int days) {
        this.dir = dir;
        this.days = days;
    }

    /**
     * Writes the six files into {@code dir} (created if missing; refused if it already holds any of them).
     *
     * @param targetNames DNS names and IP addresses the source may dial the target by
     */
    public static void make(Path dir, List<String> targetNames, int days) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String name : List.of(CA, TRUST, SOURCE, TARGET, HOST, PASSWORD)) {
            if (Files.exists(dir.resolve(name))) {
                throw new IOException(dir.resolve(name) + " already exists; choose an empty directory");
            }
        }
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        CertificateMaker maker = new CertificateMaker(dir, days);
        Path passwordFile = dir.resolve(PASSWORD);
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        restrict(passwordFile);
        maker.makeCa();
        maker.makeHost("source", SOURCE, "clientAuth", List.of());
        maker.makeHost("target", TARGET, "serverAuth", targetNames);
        maker.makeHost("host", HOST, "serverAuth,clientAuth", targetNames);
        for (String name : List.of(CA, SOURCE, TARGET, HOST)) {
            restrict(dir.resolve(name));
        }
    }

    private void makeCa() throws IOException, InterruptedException {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=mte-migrate CA", "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign",
                "-validity", String.valueOf(days), "-keystore", file(CA));
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", file(CA), "-file", file("ca.pem"));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", file("ca.pem"), "-keystore", file(TRUST));
    }

    private void makeHost(String role, String store, String usage, List<String> names)
            throws IOException, InterruptedException {
        String csr = file(role + ".csr");
        String pem = file(role + ".pem");
        keytool("-genkeypair", "-alias", role, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=mte-migrate " + role, "-validity", String.valueOf(days), "-keystore", file(store));
        keytool("-certreq", "-alias", role, "-keystore", file(store), "-file", csr);
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", file(CA),
                "-infile", csr, "-outfile", pem, "-rfc", "-validity", String.valueOf(days),
                "-ext", "ku:c=digitalSignature", "-ext", "eku:c=" + usage));
        if (!names.isEmpty()) {
            sign.addAll(List.of("-ext", "san=" + names.stream().map(CertificateMaker::subjectAltName)
                    .collect(Collectors.joining(","))));
        }
        keytool(sign.toArray(String[]::new));
        // The reply is accepted only once the key store trusts its issuer.
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", file("ca.pem"), "-keystore", file(store));
        keytool("-importcert", "-noprompt", "-alias", role, "-file", pem, "-keystore", file(store));
        Files.delete(Path.of(csr));
        Files.delete(Path.of(pem));
    }

    static String subjectAltName(String name) {
        return (name.matches("[0-9.]+") || name.contains(":") ? "ip:" : "dns:") + name;
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        // From the file, so the password never shows in the process list.
        command.addAll(List.of("-storetype", "PKCS12", "-storepass:file", file(PASSWORD)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output.strip());
        }
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the user's umask and ACLs decide.
        }
    }
}
