package dev.diaspora.stream.rabbitmq;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link Cursor}s a topic handle keeps per partition, at most {@value #PER_PARTITION} each beyond the reads
 * running: a read claims the cursor at its position (or a new one) for itself, so readers of different consumers at
 * one position never share one, and gives it back when it returns.
 *
 * <p>Thread safety: thread-safe; each partition's list is guarded by itself. Owned by its {@link RabbitTopic}, which
 * closes it.
 */
final class Cursors {
    /** Cursors kept per partition; the least recently used unclaimed ones are closed beyond this. */
    static final int PER_PARTITION = 4;

    private final RabbitTopic topic;
    private final List<List<Cursor>> lists = new ArrayList<>();

    Cursors(RabbitTopic topic, int partitions) {
        this.topic = topic;
        for (int p = 0; p < partitions; p++) {
            lists.add(new ArrayList<>());
        }
    }

    /**
     * @return a cursor at {@code fromOffset} claimed for the caller alone until {@link #release}: readers of other
     *     consumers at the same position never share one (one's drain would move the position under the other's).
     *     A new cursor first makes room by closing the least recently used unclaimed ones beyond the cap; when every
     *     cursor is claimed (more consumers reading the partition at once than the cap) the list goes above the cap
     *     until {@link #release} brings it back
     */
    Cursor claim(int p, long fromOffset) {
        List<Cursor> list = lists.get(p);
        List<Cursor> evicted;
        Cursor c;
        synchronized (list) {
            for (Cursor k : list) {
                if (!k.claimed && k.next() == fromOffset) {
                    k.claimed = true;
                    return k;
                }
            }
            evicted = trim(list, PER_PARTITION - 1);
            c = new Cursor(topic, p, fromOffset);
            c.claimed = true;
            list.add(c);
        }
        closeUnused(p, evicted);
        return c;
    }

    /**
     * Ends a read's claim of its cursor, and closes the least recently used unclaimed cursors beyond the cap (those
     * made while every cursor was claimed): the list of a partition stays within {@value #PER_PARTITION}
     * plus the reads running beyond it at this moment.
     */
    void release(int p, Cursor cursor) {
        List<Cursor> list = lists.get(p);
        List<Cursor> evicted;
        synchronized (list) {
            cursor.claimed = false;
            evicted = trim(list, PER_PARTITION);
        }
        closeUnused(p, evicted);
    }

    /**
     * Closes cursors no read uses any more, outside the partition's lock (closing is a round trip to the server). A
     * close that fails (the stream client has thrown on an unsubscribe whose answer never came) fails no read: the
     * subscription ends with its connection at the latest, and the failure goes to the driver's background error
     * handler.
     */
    private void closeUnused(int p, List<Cursor> cursors) {
        for (Cursor c : cursors) {
            try {
                c.close();
            } catch (RuntimeException e) {
                topic.backend.errors.onError("rabbitmq: topic '" + topic.name() + "', partition " + p + ": closing an"
                        + " unused read cursor failed; its subscription ends with its connection", e);
            }
        }
    }

    /**
     * Removes the least recently used unclaimed cursors while the list holds more than {@code max}; caller locks.
     *
     * @return the cursors removed, for the caller to close once it has let go of the lock
     */
    private static List<Cursor> trim(List<Cursor> list, int max) {
        List<Cursor> removed = List.of();
        while (list.size() > max) {
            Cursor oldest = null;
            for (Cursor c : list) {
                if (!c.claimed && (oldest == null || c.lastUsed() < oldest.lastUsed())) {
                    oldest = c;
                }
            }
            if (oldest == null) {
                break; // every cursor is claimed: release trims
            }
            list.remove(oldest);
            if (removed.isEmpty()) {
                removed = new ArrayList<>(2);
            }
            removed.add(oldest);
        }
        return removed;
    }

    /** @return how many cursors partition {@code p} keeps now (for tests) */
    int count(int p) {
        List<Cursor> list = lists.get(p);
        synchronized (list) {
            return list.size();
        }
    }

    /** Closes and forgets a cursor whose subscription cannot go on. */
    void drop(int p, Cursor cursor) {
        List<Cursor> list = lists.get(p);
        synchronized (list) {
            list.remove(cursor);
        }
        closeUnused(p, List.of(cursor));
    }

    /** Forgets every cursor of {@code p}, closing their subscriptions unless the driver's connections close anyway. */
    void closeAll(int p, boolean driverClosing) {
        List<Cursor> list = lists.get(p);
        List<Cursor> all;
        synchronized (list) {
            all = driverClosing ? List.of() : new ArrayList<>(list);
            list.clear();
        }
        closeUnused(p, all);
    }
}
