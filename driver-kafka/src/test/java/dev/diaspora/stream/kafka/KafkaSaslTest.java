package dev.diaspora.stream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with a SASL_PLAINTEXT listener (mechanisms PLAIN and SCRAM-SHA-256): the driver connects with the password
 * from a file or from an environment variable, and with SCRAM, wrong credentials fail fast naming the user and never the password, bad {@code sasl}
 * options are refused naming the key.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaSaslTest {
    /** Set by this module's surefire configuration to {@link EmbeddedKafka#SASL_ADMIN_PASSWORD}. */
    private static final String PASSWORD_ENV = "DIASPORA_TEST_KAFKA_PASSWORD";

    @RegisterExtension
    static final BrokerExtension BROKER = new BrokerExtension(1, SecurityProtocol.SASL_PLAINTEXT, Map.of(
            "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256",
            "listener.name.external.scram-sha-256.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"));

    @TempDir
    Path dir;

    private static String options(String sasl) {
        return "{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\",\"sasl\":" + sasl + "}";
    }

    /** Creates topic {@code name}, pushes one event and reads it back: the driver works over the secured listener. */
    static void roundTrip(Driver driver, String name) throws Exception {
        driver.createTopic(name);
        TopicHandle topic = driver.openTopic(name);
        try (Producer producer = topic.producer()) {
            assertEquals(0, producer.push(Metadata.of("{\"n\":1}"), DataView.of(new byte[] {4, 2}))
                    .get(30, TimeUnit.SECONDS));
        }
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("sasl-reader"))) {
            Optional<Event> e = consumer.poll(Duration.ofSeconds(20));
            assertTrue(e.isPresent(), "nothing read back over SASL");
            assertArrayEquals(new byte[] {4, 2}, e.get().data().toByteArray());
        }
    }

    @Test
    void connectsWithThePasswordFromAFile() throws Exception {
        Path file = dir.resolve("kafka-password");
        Files.writeString(file, EmbeddedKafka.SASL_ADMIN_PASSWORD + "\n", StandardCharsets.UTF_8);
        try (LogCapture log = new LogCapture();
                Driver driver = Driver.open("kafka", Metadata.of(options("{\"mechanism\":\"PLAIN\",\"username\":\""
                        + EmbeddedKafka.SASL_ADMIN + "\",\"password_file\":\"" + file + "\"}")))) {
            roundTrip(driver, "sasl-file");
            assertFalse(log.text().contains(EmbeddedKafka.SASL_ADMIN_PASSWORD), log.text());
        }
    }

    @Test
    void connectsWithThePasswordFromAnEnvironmentVariable() throws Exception {
        assertEquals(EmbeddedKafka.SASL_ADMIN_PASSWORD, System.getenv(PASSWORD_ENV),
                "run through Maven: this module's surefire configuration sets " + PASSWORD_ENV);
        try (Driver driver = Driver.open("kafka", Metadata.of(options("{\"username\":\"" + EmbeddedKafka.SASL_ADMIN
                + "\",\"password_env\":\"" + PASSWORD_ENV + "\"}")))) {
            roundTrip(driver, "sasl-env");
        }
    }

    /** SCRAM credentials are stored by the cluster: made here with Kafka's admin API (as the PLAIN super user). */
    @Test
    void connectsWithScram() throws Exception {
        String scramPassword = "scram-secret-7";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", BROKER.kafka().bootstrapServers(),
                "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + EmbeddedKafka.SASL_ADMIN + "\" password=\"" + EmbeddedKafka.SASL_ADMIN_PASSWORD + "\";"))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(EmbeddedKafka.SASL_ADMIN,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), scramPassword)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        String options = options("{\"mechanism\":\"SCRAM-SHA-256\",\"username\":\"" + EmbeddedKafka.SASL_ADMIN
                + "\",\"password\":\"" + scramPassword + "\"}");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) { // the broker learns the new credential from the metadata log a moment later
            try (Driver driver = Driver.open("kafka", Metadata.of(options))) {
                roundTrip(driver, "sasl-scram");
                return;
            } catch (DiasporaException e) {
                if (!e.getMessage().contains("refused the credentials") || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    @Test
    void wrongCredentialsFailFastNamingTheUserNotThePassword() {
        String wrong = "not-the-secret-42";
        long start = System.nanoTime();
        DiasporaException e;
        try (LogCapture log = new LogCapture()) {
            e = assertThrows(DiasporaException.class, () -> Driver.open("kafka", Metadata.of(options(
                    "{\"username\":\"" + EmbeddedKafka.SASL_ADMIN + "\",\"password\":\"" + wrong + "\"}"))).close());
            assertFalse(log.text().contains(wrong), log.text());
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 5_000, "wrong credentials took " + ms + " ms to fail; the timeout is 10000 ms");
        assertTrue(e.getMessage().contains("refused the credentials") && e.getMessage().contains("'"
                + EmbeddedKafka.SASL_ADMIN + "'") && e.getMessage().contains("sasl"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), e.getMessage());
        assertFalse(e.isRetriable(), "wrong credentials stay wrong: " + e);
    }

    @Test
    void noCredentialsOnASaslListenerFailWithinTheTimeoutNamingTheAddress() {
        long start = System.nanoTime();
        DiasporaException e = assertThrows(DiasporaException.class, () -> Driver.open("kafka", Metadata.of(
                "{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\",\"kafka\":"
                        + "{\"default.api.timeout.ms\":2000,\"request.timeout.ms\":2000}}")).close());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(ms < 8_000, "took " + ms + " ms for a 2000 ms timeout");
        assertTrue(e.getMessage().contains(BROKER.kafka().bootstrapServers())
                && e.getMessage().contains("security.protocol"), e.getMessage());
    }

    @Test
    void badSaslOptionsAreRefusedNamingTheKeyNeverThePassword() {
        String secret = "s3cret-value";
        String[][] cases = {
            {"{\"password\":\"" + secret + "\"}", "'username'"},
            {"{\"username\":\"u\",\"password\":\"" + secret + "\",\"password_env\":\"X\"}", "exactly one of"},
            {"{\"username\":\"u\",\"password_env\":\"DIASPORA_TEST_NO_SUCH_VARIABLE\"}",
                "DIASPORA_TEST_NO_SUCH_VARIABLE"},
            {"{\"username\":\"u\",\"password_file\":\"" + dir.resolve("missing") + "\"}", "password_file"},
            {"{\"username\":\"u\",\"password\":\"" + secret + "\",\"mechanism\":\"GSSAPI\"}", "mechanism"},
            {"{\"username\":\"u\",\"password\":\"" + secret + "\",\"pasword\":\"x\"}", "'pasword'"},
        };
        for (String[] c : cases) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> Driver.open("kafka", Metadata.of(options(c[0]))).close(), c[0]);
            assertTrue(e.getMessage().contains("sasl") && e.getMessage().contains(c[1]), e.getMessage());
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
        InvalidOptionException both = assertThrows(InvalidOptionException.class, () -> Driver.open("kafka",
                Metadata.of("{\"bootstrap.servers\":\"" + BROKER.kafka().bootstrapServers() + "\",\"kafka\":"
                        + "{\"security.protocol\":\"SSL\"},\"sasl\":{\"username\":\"u\",\"password\":\"p\"}}"))
                .close());
        assertTrue(both.getMessage().contains("security.protocol"), both.getMessage());
    }
}
