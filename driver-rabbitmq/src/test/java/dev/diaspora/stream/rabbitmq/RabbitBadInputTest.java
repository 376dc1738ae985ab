package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.stream.ConfirmationStatus;
import com.rabbitmq.stream.Environment;
import com.rabbitmq.stream.Producer;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input against the real server: wrong credentials, an unknown virtual host, a port nobody listens on, secrets
 * from files and the environment, and a partition stream holding a message another program wrote.
 */
@Timeout(60)
class RabbitBadInputTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rbad");
    private static final String PREFIX = TOPICS.prefix;

    private static DiasporaException openFails(String options) {
        return assertThrows(DiasporaException.class, () -> Driver.open("rabbitmq", Metadata.of(options)).close());
    }

    @Test
    void wrongPasswordIsRefusedWithoutShowingIt() {
        DiasporaException e = openFails("{\"host\":\"127.0.0.1\",\"password\":\"wrong-s3cret-value\"}");
        assertTrue(e.getMessage().contains("refused user 'guest'"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-s3cret-value"), "the password must not appear: " + e.getMessage());
    }

    @Test
    void unknownVirtualHostIsNamed() {
        DiasporaException e = openFails("{\"host\":\"127.0.0.1\",\"virtual_host\":\"no-such-vhost-here\"}");
        assertTrue(e.getMessage().contains("no-such-vhost-here"), e.getMessage());
        assertTrue(e.getMessage().contains("virtual host"), e.getMessage());
    }

    @Test
    void unreachablePortFailsWithinTheTimeoutNamingTheAddress() {
        long t0 = System.nanoTime();
        DiasporaException e = openFails("{\"host\":\"127.0.0.1\",\"port\":1,\"timeout_ms\":2000}");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
        assertTrue(e.getMessage().contains("rabbitmq-plugins enable rabbitmq_stream"), e.getMessage());
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void passwordFromFileAndEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "guest\n");
        try (Driver d = Driver.open("rabbitmq", Metadata.of("{\"password_file\":\"" + file + "\"}"))) {
            assertTrue(d.listTopics() != null);
        }
        InvalidOptionException missing = assertThrows(InvalidOptionException.class, () -> Driver.open("rabbitmq",
                Metadata.of("{\"password_file\":\"" + dir.resolve("absent") + "\"}")));
        assertTrue(missing.getMessage().contains("password_file"), missing.getMessage());
        InvalidOptionException unset = assertThrows(InvalidOptionException.class, () -> Driver.open("rabbitmq",
                Metadata.of("{\"password_env\":\"DIASPORA_TEST_UNSET_VARIABLE_42\"}")));
        assertTrue(unset.getMessage().contains("DIASPORA_TEST_UNSET_VARIABLE_42"), unset.getMessage());
        InvalidOptionException both = assertThrows(InvalidOptionException.class, () -> Driver.open("rabbitmq",
                Metadata.of("{\"password\":\"guest\",\"password_env\":\"X\"}")));
        assertTrue(both.getMessage().contains("exclude each other"), both.getMessage());
    }

    @Test
    void foreignMessageIsACorruptEventAndTheOthersStayReadable() throws Exception {
        String topicName = PREFIX + "foreign";
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
            driver.createTopic(topicName, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(topicName)) {
                try (dev.diaspora.stream.Producer p = topic.producer()) {
                    p.push(Metadata.of("{\"n\":0}"), DataView.of("zero".getBytes(StandardCharsets.UTF_8))).get(10,
                            TimeUnit.SECONDS);
                }
                // another program writes a message of its own into the partition's stream
                try (Environment raw = Environment.builder().host(RabbitServer.HOST).port(RabbitServer.STREAM_PORT)
                        .build()) {
                    Producer rp = raw.producerBuilder().stream(topicName + "/0").build();
                    CompletableFuture<ConfirmationStatus> c = new CompletableFuture<>();
                    rp.send(rp.messageBuilder().addData("hello from elsewhere".getBytes(StandardCharsets.UTF_8))
                            .build(), c::complete);
                    assertTrue(c.get(10, TimeUnit.SECONDS).isConfirmed());
                    rp.close();
                }
                try (dev.diaspora.stream.Producer p = topic.producer()) {
                    p.push(Metadata.of("{\"n\":2}"), DataView.of("two".getBytes(StandardCharsets.UTF_8))).get(10,
                            TimeUnit.SECONDS);
                }
                try (Consumer c = topic.consumer(ConsumerOptions.named("reader").startAt(StartAt.EARLIEST))) {
                    Event first = c.poll(Duration.ofSeconds(10)).orElseThrow();
                    assertEquals(0, first.id());
                    DiasporaException bad = assertThrows(DiasporaException.class,
                            () -> c.poll(Duration.ofSeconds(10)));
                    CorruptDataException corrupt = bad instanceof CorruptDataException ? (CorruptDataException) bad
                            : assertInstanceOf(CorruptDataException.class, bad.getCause(), bad.toString());
                    assertTrue(corrupt.getMessage().contains("event id 1"), corrupt.getMessage());
                    assertTrue(corrupt.getMessage().contains("not in the diaspora layout"), corrupt.getMessage());
                    c.seek(0, StartAt.id(2));
                    Event third = c.poll(Duration.ofSeconds(10)).orElseThrow();
                    assertEquals(2, third.id());
                    assertEquals("two", new String(third.data().toByteArray(), StandardCharsets.UTF_8));
                }
            }
        }
    }
}
