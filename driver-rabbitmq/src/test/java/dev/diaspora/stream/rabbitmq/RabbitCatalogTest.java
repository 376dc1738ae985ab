package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topic catalog does not grow with every topic ever created: deleted topics leave it when it is compacted into a
 * new generation, the old generation's stream is deleted, and topics created and deleted by other drivers while
 * compactions run are neither lost nor resurrected.
 */
@Timeout(180)
class RabbitCatalogTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rcat");
    private static final String PREFIX = TOPICS.prefix;
    private static final Metadata ONE = Metadata.of("{\"num_partitions\":1}");

    private RabbitBackend backend;

    @BeforeEach
    void open() {
        RabbitDriverProvider provider = new RabbitDriverProvider();
        backend = (RabbitBackend) provider.open(provider.options().validate(Metadata.of(RabbitServer.options()),
                "driver 'rabbitmq'"));
    }

    @AfterEach
    void close() {
        backend.close();
    }

    /**
     * @return how many creates and deletes of a topic make the current generation compact (the server may hold the
     *     topics of other programs, and a generation is compacted only above twice the names it lists)
     */
    private int cyclesToCompact() {
        return Math.max(Catalog.COMPACT_ABOVE, 2 * backend.catalog().list().names().size()) / 2;
    }

    @Test
    void deletedTopicsLeaveTheCatalogAndOldGenerationsAreDeleted() {
        String keep = PREFIX + "keep";
        List<String> gone = new ArrayList<>();
        long before = backend.catalog().current();
        try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
            driver.createTopic(keep, ONE);
            for (int i = 0, n = cyclesToCompact() + 8; i < n; i++) {
                String name = PREFIX + "gone-" + i;
                driver.createTopic(name, ONE);
                driver.deleteTopic(name);
                gone.add(name);
            }
        }
        Catalog.Listing l = backend.catalog().list();
        assertTrue(l.generation() > before, "no compaction: the catalog is still generation " + l.generation()
                + " after " + gone.size() + " topics were created and deleted");
        assertTrue(l.records() < 2 * gone.size(), "generation " + l.generation() + " holds " + l.records()
                + " records for " + l.names().size() + " names: more than this test alone wrote (" + 2 * gone.size()
                + ")");
        for (String name : gone) {
            assertFalse(l.names().contains(name), "deleted topic " + name + " is still in the catalog");
        }
        assertTrue(l.names().contains(keep), "live topic " + keep + " left the catalog");
        if (l.generation() >= 2) {
            assertFalse(backend.admin.exists(Catalog.stream(l.generation() - 1)), "the stream of generation "
                    + (l.generation() - 1) + " was not deleted by the compaction that replaced it");
        }
    }

    @Test
    void concurrentCreatesAndDeletesSurviveCompactions() throws Exception {
        long before = backend.catalog().current();
        int writers = 2;
        int perWriter = 2 * cyclesToCompact() / writers + 8; // a third of the topics stay: fewer records each
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Set<String>>> kept = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                String prefix = PREFIX + "w" + w + "-";
                kept.add(pool.submit(() -> {
                    Set<String> live = new TreeSet<>();
                    try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
                        for (int i = 0; i < perWriter; i++) {
                            driver.createTopic(prefix + i, ONE);
                            if (i % 3 == 0) {
                                live.add(prefix + i);
                            } else {
                                driver.deleteTopic(prefix + i);
                            }
                        }
                    }
                    return live;
                }));
            }
            Set<String> expected = new TreeSet<>();
            for (Future<Set<String>> f : kept) {
                expected.addAll(f.get(150, TimeUnit.SECONDS));
            }
            assertTrue(backend.catalog().current() > before, "no compaction ran while the writers worked");
            try (Driver driver = Driver.open("rabbitmq", Metadata.of(RabbitServer.options()))) {
                Set<String> listed = driver.listTopics().keySet().stream()
                        .filter(n -> n.startsWith(PREFIX + "w")).collect(Collectors.toCollection(TreeSet::new));
                assertEquals(expected, listed);
            }
            Set<String> inCatalog = backend.catalog().list().names();
            for (String name : expected) {
                assertTrue(inCatalog.contains(name), "live topic " + name + " is missing from the catalog");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
