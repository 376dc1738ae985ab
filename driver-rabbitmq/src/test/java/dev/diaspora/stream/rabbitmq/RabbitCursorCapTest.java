package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A topic keeps {@link Cursors#KEEP} cursors (subscriptions, each buffering chunks) per partition however long
 * unused, more while reads use them, and never more than {@link Cursors#MAX} beyond the reads running. Reads claim a
 * cursor; when more reads of one partition run at once than the cursors kept, each still gets a cursor of its own, and
 * the list must come back down once they have not been used for the linger: it used to stay above the cap for good (a
 * new cursor replaced one unclaimed cursor, never more), so a burst of concurrent readers left subscriptions and their
 * buffers open until the topic closed.
 */
@Timeout(120)
class RabbitCursorCapTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rcap");

    @Test
    void cursorsBeyondTheKeptOnesAreClosedOnceUnusedForTheLinger() throws Exception {
        int keep = Cursors.KEEP;
        withCursors("cap", 0, cursors -> { // no linger: unused cursors beyond KEEP go at once
            for (int round = 0; round < 2; round++) {
                List<Cursor> claimed = claim(cursors, keep + 3); // more reads at one position at once than kept
                assertEquals(keep + 3, new HashSet<>(claimed).size(), "two reads at once share a cursor");
                assertEquals(keep + 3, cursors.count(0), "every read running has a cursor of its own");
                release(cursors, claimed);
                assertEquals(keep, cursors.count(0), "cursors kept once the reads ended, round " + round);
            }
            Cursor again = cursors.claim(0, 1);
            assertEquals(keep, cursors.count(0), "a read at a kept position reuses a kept cursor");
            cursors.release(0, again);
            Cursor elsewhere = cursors.claim(0, 7);
            cursors.release(0, elsewhere);
            assertEquals(keep, cursors.count(0), "a cursor at a new position replaces the least recently used");
        });
    }

    /**
     * Readers that use their cursors keep them (up to {@link Cursors#MAX}): each cursor closed is an unsubscribe,
     * and the server may hold its file handle for a while (see {@link Cursors}); beyond the maximum the least recently
     * used unclaimed cursor goes at once.
     */
    @Test
    void cursorsInUseAreKeptUpToTheMaximum() throws Exception {
        withCursors("keep", Long.MAX_VALUE / 4, cursors -> { // nothing lingers out in this test
            List<Cursor> claimed = claim(cursors, Cursors.KEEP + 3);
            release(cursors, claimed);
            assertEquals(Cursors.KEEP + 3, cursors.count(0), "cursors used within the linger are kept");
            List<Cursor> again = claim(cursors, Cursors.KEEP + 3); // each reader finds a cursor at its position
            assertEquals(new HashSet<>(claimed), new HashSet<>(again), "no new subscription");
            release(cursors, again);
            long made = Cursors.made();
            List<Cursor> more = claim(cursors, Cursors.MAX + 2);
            assertEquals(Cursors.MAX + 2 - (Cursors.KEEP + 3), Cursors.made() - made,
                    "the kept cursors were claimed first");
            release(cursors, more);
            assertEquals(Cursors.MAX, cursors.count(0), "never more than the maximum once the reads end");
        });
    }

    private interface CursorsBody {
        void run(Cursors cursors) throws Exception;
    }

    /** Runs {@code body} on cursors of its own over a new one-partition topic. */
    private static void withCursors(String suffix, long lingerNanos, CursorsBody body) throws Exception {
        String name = TOPICS.prefix + suffix;
        try (RabbitBackend backend = new RabbitBackend(RabbitServer.config())) {
            RabbitServer.createOnePartitionTopic(backend, name);
            try (RabbitTopic topic = (RabbitTopic) backend.openTopic(name)) {
                Cursors cursors = new Cursors(topic, 1, lingerNanos);
                try {
                    body.run(cursors);
                } finally {
                    cursors.closeAll(0, false);
                }
            }
        }
    }

    /** @return {@code n} cursors claimed at position 1, as {@code n} reads at once there would */
    private static List<Cursor> claim(Cursors cursors, int n) {
        List<Cursor> claimed = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            claimed.add(cursors.claim(0, 1));
        }
        return claimed;
    }

    private static void release(Cursors cursors, List<Cursor> claimed) {
        for (Cursor c : claimed) {
            cursors.release(0, c);
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
