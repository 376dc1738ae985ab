package dev.diaspora.stream.tck;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for 127.0.0.1 and localhost, made by the JDK's {@code keytool} (no BouncyCastle,
 * works on every JDK), exported as the PEM files users give the server: the certificate, and the key in unencrypted
 * PKCS#8. For driver tests with TLS (netty's servers, Kafka's brokers).
 *
 * <p>Thread safety: immutable.
 *
 * @param certificate PEM file of the certificate (also what clients trust)
 * @param privateKey PEM file of the private key, PKCS#8
 */
public record TestCertificate(Path certificate, Path privateKey) {
    private static final char[] PASSWORD = "changeit".toCharArray();

    /**
     * Generates a key pair and certificate under {@code dir}.
     *
     * @param dir where to write them (created if needed)
     * @return the PEM files
     * @throws IOException if keytool fails or the files cannot be written
     * @throws InterruptedException if interrupted while keytool runs
     * @throws GeneralSecurityException if the key store keytool wrote cannot be read
     */
    public static TestCertificate generate(Path dir)
            throws IOException, InterruptedException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                .redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = p.getInputStream()) {
            output = in.readAllBytes();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool failed: " + new String(output, StandardCharsets.UTF_8));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD);
        }
        Certificate cert = ks.getCertificate("server");
        Key key = ks.getKey("server", PASSWORD);
        Path certPem = Files.writeString(dir.resolve("server.pem"), pem("CERTIFICATE", cert.getEncoded()));
        Path keyPem = Files.writeString(dir.resolve("server.key"), pem("PRIVATE KEY", key.getEncoded()));
        return new TestCertificate(certPem, keyPem);
    }

    /**
     * Writes a certificate that did not sign the test certificates (the first CA of the JDK's trust store) as PEM:
     * trusting only it must fail the TLS handshake with our server.
     */
    public static Path unrelatedCaPem(Path dir) throws IOException, GeneralSecurityException {
        Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
        KeyStore ks = KeyStore.getInstance(cacerts.toFile(), PASSWORD);
        Certificate ca = ks.getCertificate(ks.aliases().nextElement());
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("unrelated-ca.pem"), pem("CERTIFICATE", ca.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
