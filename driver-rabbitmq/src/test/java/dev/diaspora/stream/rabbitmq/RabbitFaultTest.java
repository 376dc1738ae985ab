package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.tck.ExternalServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connections cut from the server side while producing and consuming: the server kills the driver's stream
 * connections (those named {@code rabbitmq-stream-diaspora*}) through {@code rabbitmqctl eval}. Every push that completed
 * is stored exactly once (the client re-sends unconfirmed messages, the server drops those it had stored for the
 * producer name), and a consumer resumes after its last acknowledged event.
 */
@Timeout(120)
class RabbitFaultTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rfault");
    private static final String PREFIX = TOPICS.prefix;

    @BeforeAll
    static void server() {
        ExternalServers.assumeAvailable("rabbitmqctl", killConnections() >= 0,
                "the test cuts connections with rabbitmqctl eval, which needs root on the server's machine");
    }

    /** @return the number of driver connections the server killed, or -1 if rabbitmqctl cannot be run */
    static int killConnections() {
        return killConnections(RabbitConfig.CONNECTION_PREFIX);
    }

    /**
     * @param prefix the start of the names of the connections to kill
     * @return the number of connections the server killed, or -1 if rabbitmqctl cannot be run
     */
    static int killConnections(String prefix) {
        String expr = "length([exit(P, kill) || P <- rabbit_stream:list(<<\"/\">>),"
                + " {client_properties, Props} <- rabbit_stream_reader:info(P, [client_properties]),"
                + " {<<\"connection_name\">>, _, N} <- Props,"
                + " lists:prefix(\"" + prefix + "\", binary_to_list(N))]).";
        try {
            Process p = new ProcessBuilder("rabbitmqctl", "eval", expr).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return -1;
            }
            return Integer.parseInt(out);
        } catch (IOException | NumberFormatException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The pushes of {@link #pushKilling} and how many connections the server killed meanwhile. */
    private record Run(List<CompletableFuture<Long>> pushes, int kills) {
    }

    /**
     * Pushes {@code n} events ({@code {"i":i}}, data {@code "event i"}) through a new producer without waiting, killing
     * the connections whose names start with {@code prefix} after pushes 500, 1500, ..., then flushes (some pushes
     * may fail: each has its own future) and closes the producer.
     */
    private static Run pushKilling(TopicHandle topic, int n, String prefix) throws Exception {
        List<CompletableFuture<Long>> pushes = new ArrayList<>();
        int kills = 0;
        Producer producer = topic.producer();
        for (int i = 0; i < n; i++) {
            pushes.add(producer.push(Metadata.of("{\"i\":" + i + "}"),
                    DataView.of(("event " + i).getBytes(StandardCharsets.UTF_8))));
            if (i % 1000 == 500) {
                kills += killConnections(prefix);
            }
        }
        try {
            producer.flush().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the failed pushes' futures say what happened to each
        }
        try {
            producer.close();
        } catch (dev.diaspora.stream.EventsFailedException e) {
            // the same failures, summed
        }
        return new Run(pushes, kills);
    }

    @Test
    void everyCompletedPushIsStoredOnceAcrossCutConnections() throws Exception {
        String name = PREFIX + "produce";
        int n = 3000;
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(name)) {
                Run run = pushKilling(topic, n, RabbitConfig.CONNECTION_PREFIX);
                List<CompletableFuture<Long>> pushes = run.pushes();
                assertTrue(run.kills() > 0, "the server killed no driver connection");
                Map<Integer, Long> completed = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    CompletableFuture<Long> f = pushes.get(i);
                    assertTrue(f.isDone(), "push " + i + " neither completed nor failed");
                    if (!f.isCompletedExceptionally()) {
                        completed.put(i, f.get());
                    }
                }
                Map<Integer, Integer> stored = new HashMap<>();
                Map<Long, Integer> byId = new HashMap<>();
                try (Consumer c = topic.consumer(ConsumerOptions.named("check"))) {
                    Optional<Event> e;
                    while ((e = c.poll(Duration.ofSeconds(3))).isPresent()) {
                        int i = e.get().metadata().json().get("i").asInt();
                        stored.merge(i, 1, Integer::sum);
                        byId.put(e.get().id(), i);
                    }
                }
                for (Map.Entry<Integer, Integer> s : stored.entrySet()) {
                    assertEquals(1, s.getValue(), "event " + s.getKey() + " stored more than once");
                }
                for (Map.Entry<Integer, Long> c : completed.entrySet()) {
                    assertEquals(c.getKey(), byId.get(c.getValue()), "completed push " + c.getKey()
                            + " is not the event stored at its id " + c.getValue());
                }
                assertTrue(completed.size() > n / 2, "only " + completed.size() + " of " + n + " pushes completed");
            }
        }
    }

    /**
     * Only the consumer connections are killed (the follower subscription that completes pushes, not the producer's
     * connection): the follower resubscribes from the last offset it saw, and every push completes, at the EventID
     * holding its event.
     */
    @Test
    void pushesCompleteWhenTheFollowerSubscriptionIsCut() throws Exception {
        String name = PREFIX + "follower";
        int n = 2000;
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(name)) {
                Run run = pushKilling(topic, n, RabbitConfig.CONNECTION_PREFIX + "-consumer");
                assertTrue(run.kills() > 0, "the server killed no follower connection");
                for (int i = 0; i < n; i++) { // every push completes: none failed
                    assertTrue(run.pushes().get(i).isDone() && !run.pushes().get(i).isCompletedExceptionally(),
                            "push " + i + " did not complete: " + run.pushes().get(i));
                }
                Map<Long, Integer> byId = new HashMap<>();
                try (Consumer c = topic.consumer(ConsumerOptions.named("check"))) {
                    for (int i = 0; i < n; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        byId.put(e.id(), e.metadata().json().get("i").asInt());
                    }
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(i, byId.get(run.pushes().get(i).get()), "push " + i + " completed at the wrong id");
                }
            }
        }
    }

    @Test
    void consumerResumesAfterItsLastAcknowledgedEvent() throws Exception {
        String name = PREFIX + "consume";
        int n = 200;
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(name)) {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < n; i++) {
                        producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY);
                    }
                    producer.flush().get(30, TimeUnit.SECONDS);
                }
                try (Consumer c = topic.consumer(ConsumerOptions.named("resumer"))) {
                    for (int i = 0; i < 120; i++) {
                        Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                        assertEquals(i, e.id());
                        if (i == 60) {
                            assertTrue(killConnections() > 0, "the server killed no driver connection");
                        }
                        if (i < 100) {
                            e.acknowledge();
                        }
                    }
                    c.commit().get(30, TimeUnit.SECONDS);
                }
                assertTrue(killConnections() >= 0);
                try (Consumer c = topic.consumer(ConsumerOptions.named("resumer"))) {
                    Event e = c.poll(Duration.ofSeconds(10)).orElseThrow();
                    assertEquals(100, e.id(), "the consumer must resume after the last acknowledged event (99)");
                }
            }
        }
    }
}
