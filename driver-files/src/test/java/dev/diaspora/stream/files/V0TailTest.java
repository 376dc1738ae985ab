package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 1 (tailing): a consumer of this JVM tails the C++ fixture {@code empty} while another process
 * ({@link CppLayoutWriterMain}) appends to both partitions the way the C++ writer does, pausing between the data and
 * the index and inside each index record. The consumer receives every event, intact, in order per partition, and
 * never an error: a partial index record or an unindexed event is not yet visible.
 */
@Timeout(90)
class V0TailTest {
    @TempDir
    Path root;

    @Test
    void tailsEventsAnotherProcessAppendsInTheCppLayout() throws Exception {
        V0Fixtures.copy(root);
        int n = 150;
        try (Driver d = V0Fixtures.open(root); TopicHandle t = d.openTopic("empty");
                Consumer c = t.consumer(ConsumerOptions.named("tail").startAt(StartAt.EARLIEST))) {
            assertTrue(c.poll(java.time.Duration.ofMillis(100)).isEmpty());
            try (ChildProcess w0 = ChildProcess.start(CppLayoutWriterMain.class,
                    root.resolve("empty/partitions/00000000").toString(), "0", String.valueOf(n), "1");
                    ChildProcess w1 = ChildProcess.start(CppLayoutWriterMain.class,
                            root.resolve("empty/partitions/00000001").toString(), "1000", String.valueOf(n), "1")) {
                List<Event> got = V0Fixtures.take(c, 2 * n);
                long[] next = {0, 0};
                for (Event e : got) {
                    int p = e.partition();
                    assertEquals(next[p]++, e.id(), "in order, partition " + p);
                    int k = (p == 0 ? 0 : 1000) + (int) e.id();
                    assertEquals("{\"k\":" + k + "}", e.metadata().toString());
                    assertArrayEquals(V0Fixtures.pattern(k, (k * 37) % 300), e.data().toByteArray(), "k=" + k);
                }
                assertEquals(0, w0.waitFor(30_000), w0.errors());
                assertEquals(0, w1.waitFor(30_000), w1.errors());
            }
            assertTrue(c.poll(java.time.Duration.ofMillis(200)).isEmpty());
        }
    }
}
