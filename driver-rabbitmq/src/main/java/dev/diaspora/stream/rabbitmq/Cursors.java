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
        synchronized (list) {
            for (Cursor c : list) {
                if (!c.claimed && c.next() == fromOffset) {
                    c.claimed = true;
                    return c;
                }
            }
            trim(list, PER_PARTITION - 1);
            Cursor c = new Cursor(topic, p, fromOffset);
            c.claimed = true;
            list.add(c);
            return c;
        }
    }

    /**
     * Ends a read's claim of its cursor, and closes the least recently used unclaimed cursors beyond the cap (those
     * made while every cursor was claimed): the list of a partition stays within {@value #PER_PARTITION}
     * plus the reads running beyond it at this moment.
     */
    void release(int p, Cursor cursor) {
        List<Cursor> list = lists.get(p);
        synchronized (list) {
            cursor.claimed = false;
            trim(list, PER_PARTITION);
        }
    }

    /** Closes the least recently used unclaimed cursors while the list holds more than {@code max}; caller locks. */
    private static void trim(List<Cursor> list, int max) {
        while (list.size() > max) {
            Cursor oldest = null;
            for (Cursor c : list) {
                if (!c.claimed && (oldest == null || c.lastUsed() < oldest.lastUsed())) {
                    oldest = c;
                }
            }
            if (oldest == null) {
                return; // every cursor is claimed: release trims
            }
            list.remove(oldest);
            oldest.close();
        }
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
        cursor.close();
    }

    /** Forgets every cursor of {@code p}, closing their subscriptions unless the driver's connections close anyway. */
    void closeAll(int p, boolean driverClosing) {
        List<Cursor> list = lists.get(p);
        synchronized (list) {
            if (!driverClosing) {
                for (Cursor c : list) {
                    c.close();
                }
            }
            list.clear();
        }
    }
}
