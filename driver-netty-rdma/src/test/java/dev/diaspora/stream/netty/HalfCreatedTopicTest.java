package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionSelector;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.TopicExistsException;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.Validator;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client creates a topic server by server, so for a moment another client can see it on some of its servers and not
 * on others (two {@code createTopicIfAbsent} racing: the loser finds it on the first server and opens it at once).
 * Opening such a topic waits for the creation to finish instead of failing, and a topic that stays so fails naming
 * the server that lacks it (the first two tests play the creator by hand, one CREATE_TOPIC per server). Two creators
 * at once: one wins, whatever order each lists the servers in.
 */
class HalfCreatedTopicTest {
    @TempDir
    Path dir;

    /** Sends the CREATE_TOPIC of a topic of one partition per server, placed on all of them, to server {@code s}. */
    private static void createOn(NettyBackend creator, String name, ObjectNode stored, int s) {
        creator.connections().get(s).callSync(Protocol.CREATE_TOPIC, new TopicRequests.CreateTopic(name,
                "{\"num_partitions\":1}", stored.toString()).encode(creator.alloc())).release();
    }

    /** @return the stored components of a new topic of three partitions on {@code creator}'s three servers */
    private static ObjectNode stored(NettyBackend creator) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.set("validator", Validator.defaultValidator().config().json());
        c.set("partition_selector", PartitionSelector.defaultSelector().config().json());
        c.set("serializer", Serializer.defaultSerializer().config().json());
        c.set(NettyBackend.PLACEMENT, Placement.create(creator.connections().stream().map(Connection::serverId)
                .toList(), 3, UUID.randomUUID().toString()));
        return c;
    }

    @Test
    @Timeout(60)
    void openingATopicStillBeingCreatedWaitsForItsLastServer() throws Exception {
        try (Servers servers = Servers.start(dir, 3)) {
            NettyBackend creator = ReadAheadTest.backend(servers);
            try (Driver reader = Driver.open("netty", servers.driverOptions())) {
                ObjectNode stored = stored(creator);
                createOn(creator, "runs", stored, 0);
                createOn(creator, "runs", stored, 1);
                CompletableFuture<Void> last = CompletableFuture.runAsync(() -> createOn(creator, "runs", stored, 2),
                        CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
                try (TopicHandle t = reader.openTopic("runs")) {
                    assertTrue(last.isDone(), "the topic opened before its last server had it");
                    assertEquals(3, t.partitions().size(), "partitions of the topic once created");
                }
                last.join();
            } finally {
                creator.close();
            }
        }
    }

    /**
     * Two clients that list the servers in opposite orders create one name at the same moment, 20 times per partition
     * count: exactly one succeeds and the topic exists. (Creating on each client's first server first, both could win
     * a first server, then both find the other's topic on their next one, undo, and fail: no topic, two
     * TopicExistsExceptions. With fewer partitions than servers, each client placed them on the first servers of its
     * own list: both succeeded, one name on two sets of servers.)
     */
    @ParameterizedTest(name = "{0} partitions on 3 servers")
    @ValueSource(ints = {1, 2, 3})
    @Timeout(120)
    void creatorsListingTheServersInOtherOrdersDoNotBothLoseNorBothWin(int partitions) throws Exception {
        try (Servers servers = Servers.start(dir, 3)) {
            List<String> addresses = servers.list().stream().map(s -> "\"127.0.0.1:" + s.port() + "\"").toList();
            List<String> reversed = new ArrayList<>(addresses);
            Collections.reverse(reversed);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Driver a = Driver.open("netty", Metadata.of("{\"servers\":" + addresses + "}"));
                    Driver b = Driver.open("netty", Metadata.of("{\"servers\":" + reversed + "}"))) {
                for (int i = 0; i < 20; i++) {
                    String name = "race-" + partitions + "-" + i;
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (Driver d : List.of(a, b)) {
                        results.add(pool.submit(() -> {
                            go.await();
                            try {
                                d.createTopic(name, Metadata.of("{\"num_partitions\":" + partitions + "}"));
                                return true;
                            } catch (TopicExistsException e) {
                                return false;
                            }
                        }));
                    }
                    go.countDown();
                    int won = 0;
                    for (Future<Boolean> f : results) {
                        won += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
                    }
                    assertEquals(1, won, "creators of '" + name + "' that succeeded");
                    for (Driver d : List.of(a, b)) {
                        try (TopicHandle t = d.openTopic(name)) {
                            assertEquals(partitions, t.partitions().size(), "partitions of '" + name + "'");
                        }
                    }
                    assertEquals(partitions, holders(servers, name), "servers holding '" + name + "'");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Single-partition topics spread over the servers (the first partition's server follows the name, not the order
     * of the client's list: every one of them used to go to the first server listed), created by two clients listing
     * the servers in opposite orders, each topic opened by the other client. (That both clients choose the same
     * servers for a name is the race test's above.)
     */
    @Test
    @Timeout(60)
    void singlePartitionTopicsSpreadOverTheServersWhateverTheListOrder() {
        try (Servers servers = Servers.start(dir, 3)) {
            List<String> addresses = servers.list().stream().map(s -> "\"127.0.0.1:" + s.port() + "\"").toList();
            List<String> reversed = new ArrayList<>(addresses);
            Collections.reverse(reversed);
            try (Driver a = Driver.open("netty", Metadata.of("{\"servers\":" + addresses + "}"));
                    Driver b = Driver.open("netty", Metadata.of("{\"servers\":" + reversed + "}"))) {
                int[] perServer = new int[3];
                for (int i = 0; i < 12; i++) {
                    String name = "spread-" + i;
                    (i % 2 == 0 ? a : b).createTopic(name, Metadata.of("{\"num_partitions\":1}"));
                    for (int s = 0; s < 3; s++) {
                        perServer[s] += holds(servers, s, name) ? 1 : 0;
                    }
                    try (TopicHandle t = (i % 2 == 0 ? b : a).openTopic(name)) { // the other client finds it
                        assertEquals(1, t.partitions().size());
                    }
                }
                assertEquals(12, perServer[0] + perServer[1] + perServer[2]);
                for (int s = 0; s < 3; s++) {
                    assertTrue(perServer[s] > 0 && perServer[s] < 12,
                            "single-partition topics per server: " + Arrays.toString(perServer));
                }
            }
        }
    }

    /** @return whether server {@code s} stores topic {@code name} */
    private static boolean holds(Servers servers, int s, String name) {
        try (Driver one = Driver.open("netty", Metadata.of("{\"servers\":[\"127.0.0.1:" + servers.list().get(s).port()
                + "\"]}"))) {
            return one.topicExists(name);
        }
    }

    /** @return how many servers store topic {@code name} */
    private static int holders(Servers servers, String name) {
        int n = 0;
        for (int s = 0; s < servers.list().size(); s++) {
            n += holds(servers, s, name) ? 1 : 0;
        }
        return n;
    }

    @Test
    @Timeout(60)
    void aTopicMissingOnOneOfItsServersFailsNamingThatServer() {
        try (Servers servers = Servers.start(dir, 3)) {
            NettyBackend creator = ReadAheadTest.backend(servers);
            try (Driver reader = Driver.open("netty", servers.driverOptions("\"request_timeout_ms\":500"))) {
                ObjectNode stored = stored(creator);
                createOn(creator, "runs", stored, 0);
                createOn(creator, "runs", stored, 1);
                DiasporaException e = assertThrows(DiasporaException.class, () -> reader.openTopic("runs"));
                String third = "127.0.0.1:" + servers.list().get(2).port();
                assertTrue(e.getMessage().contains(third) && e.getMessage().contains("does not have it"),
                        "names the server that lacks the topic: " + e.getMessage());
                assertTrue(e.isRetriable(), "another client may still be creating it: retriable");
            } finally {
                creator.close();
            }
        }
    }
}
