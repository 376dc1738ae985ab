package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 on the partition server: reserved names refused from the network, and a restarted server does not make a
 * topic deleted and re-created meanwhile look like the one a client had open.
 */
class NettyIncarnationTest {
    @TempDir
    Path dir;

    private static PartitionServer server(Path root, int port) {
        return PartitionServer.builder().host("127.0.0.1").port(port).rootPath(root).ioThreads(1).workerThreads(2)
                .start();
    }

    private static Metadata options(int port) {
        return Metadata.of("{\"servers\":[\"127.0.0.1:" + port + "\"],\"request_timeout_ms\":10000}");
    }

    @Test
    @Timeout(120)
    void aServerRestartDoesNotMakeARecreatedTopicLookLikeTheOldOne() throws Exception {
        Path root = dir.resolve("server");
        PartitionServer first = server(root, 0);
        int port = first.port();
        try (Driver client = Driver.open("netty", options(port))) {
            client.createTopic("runs");
            TopicHandle old = client.openTopic("runs");
            Producer producer = old.producer();
            producer.push(Metadata.of("{\"before\":true}"), DataView.EMPTY).join();
            first.close();
            try (PartitionServer second = server(root, port); Driver admin = Driver.open("netty", options(port))) {
                admin.deleteTopic("runs");
                admin.createTopic("runs");
                Throwable cause = null;
                for (int i = 0; i < 100; i++) { // the first pushes find the connection lost (retriable)
                    CompletableFuture<Long> after = producer.push(Metadata.of("{\"after\":" + i + "}"),
                            DataView.EMPTY);
                    Throwable t = after.handle((v, x) -> x).join();
                    assertTrue(t != null, "push " + i + " through the handle of the deleted topic succeeded after"
                            + " the restart");
                    cause = t instanceof CompletionException ? t.getCause() : t;
                    if (!(cause instanceof DiasporaException) || !((DiasporaException) cause).isRetriable()) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertTrue(cause instanceof TopicNotFoundException && cause.getMessage().contains("'runs' was deleted"),
                        String.valueOf(cause));
                assertThrows(TopicNotFoundException.class, () -> old.bounds(0), "admin call of the old handle");
                try (TopicHandle fresh = admin.openTopic("runs")) {
                    assertEquals(0, fresh.bounds(0).next(), "the re-created topic got an event of the old one");
                }
                try {
                    producer.close();
                } catch (DiasporaException expected) {
                    // close reports the failed push
                }
            }
        } finally {
            first.close();
        }
    }

    @Test
    @Timeout(60)
    void theServerRefusesReservedTopicNamesFromTheNetwork() throws Exception {
        try (PartitionServer server = server(dir.resolve("server"), 0)) {
            for (String name : new String[] {".deleted-runs", ".tmp-x", "..", "../escape", "__diaspora_topics"}) {
                try (RawClient c = RawClient.authenticated(server.port(), "")) {
                    RawClient.Frame f = c.request(Protocol.CREATE_TOPIC, RawClient.payload(o -> {
                        RawClient.string(o, name);
                        RawClient.json(o, "{\"num_partitions\":1}");
                        RawClient.json(o, "{}");
                    }));
                    assertEquals(Protocol.ERROR, f.type(), f::toString);
                    assertTrue(f.errorMessage().contains("Invalid topic name"), f::toString);
                }
            }
            try (var files = Files.list(server.rootPath().resolve(PartitionServer.TOPICS_DIR))) {
                assertFalse(files.anyMatch(p -> !p.getFileName().toString().isEmpty()), "nothing was created");
            }
        }
    }
}
