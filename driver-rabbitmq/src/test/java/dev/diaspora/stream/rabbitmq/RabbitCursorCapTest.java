package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A topic keeps at most {@link Cursors#PER_PARTITION} cursors (subscriptions, each buffering chunks) per
 * partition. Reads claim a cursor; when more reads of one partition run at once than the cap, each still gets a
 * cursor of its own, and the list must come back to the cap once they end: it used to stay above it for good (a
 * new cursor replaced one unclaimed cursor, never more), so a burst of concurrent readers left subscriptions and their
 * buffers open until the topic closed.
 */
@Timeout(120)
class RabbitCursorCapTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rcap");

    @Test
    void cursorsMadeWhileEveryCursorWasClaimedAreClosedWhenTheReadsEnd() throws Exception {
        RabbitConfig config = RabbitServer.config();
        String name = TOPICS.prefix + "cap";
        int cap = Cursors.PER_PARTITION;
        try (RabbitBackend backend = new RabbitBackend(config)) {
            RabbitServer.createOnePartitionTopic(backend, name);
            try (RabbitTopic topic = (RabbitTopic) backend.openTopic(name)) {
                for (int round = 0; round < 2; round++) {
                    List<Cursor> claimed = new ArrayList<>();
                    for (int r = 0; r < cap + 3; r++) { // more reads at one position at once than the cap
                        Cursor c = topic.cursors().claim(0, 1);
                        assertTrue(!claimed.contains(c), "two reads at once share a cursor");
                        claimed.add(c);
                    }
                    assertEquals(cap + 3, topic.cursors().count(0), "every read running has a cursor of its own");
                    for (Cursor c : claimed) {
                        topic.cursors().release(0, c);
                    }
                    assertEquals(cap, topic.cursors().count(0), "cursors kept once the reads ended, round " + round);
                }
                Cursor again = topic.cursors().claim(0, 1);
                assertEquals(cap, topic.cursors().count(0), "a read at a kept position reuses a kept cursor");
                topic.cursors().release(0, again);
                Cursor elsewhere = topic.cursors().claim(0, 7);
                assertEquals(cap, topic.cursors().count(0), "a cursor at a new position replaces the least recently used");
                topic.cursors().release(0, elsewhere);
            }
        }
    }

    /**
     * Closing a cursor no read uses any more may fail in the stream client (it threw a NullPointerException on an
     * unsubscribe whose answer never came, under load): that used to fail the read that was making room for its own
     * cursor; now the read goes on and the failure goes to the driver's background error handler.
     */
    @Test
    void aCursorThatFailsToCloseFailsNoRead() throws Exception {
        RabbitConfig config = RabbitServer.config();
        String name = TOPICS.prefix + "closefail";
        List<String> reported = new CopyOnWriteArrayList<>();
        try (RabbitBackend backend = new RabbitBackend(config, (where, e) -> reported.add(where + " / " + e))) {
            RabbitServer.createOnePartitionTopic(backend, name);
            try (RabbitTopic topic = (RabbitTopic) backend.openTopic(name)) {
                Cursor failing = new Cursor(topic, 0, 1) {
                    @Override
                    public void close() {
                        super.close();
                        throw new NullPointerException("unsubscribeResponse is null");
                    }
                };
                topic.cursors().drop(0, failing);
                assertEquals(1, reported.size(), reported.toString());
                assertTrue(reported.get(0).contains("closing an unused read cursor failed")
                        && reported.get(0).contains("unsubscribeResponse is null"), reported.get(0));
                Cursor c = topic.cursors().claim(0, 1); // reads go on
                topic.cursors().release(0, c);
            }
        }
    }
}
