package dev.diaspora.stream.rabbitmq;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link Cursor}s a topic handle keeps per partition: a read claims the cursor at its position (or a new one) for
 * itself, so readers of different consumers at one position never share one, and gives it back when it returns.
 *
 * <p>Cursors are kept rather than made per read because each one is a subscription on the server, and a subscription
 * ended costs the server more than the round trip: RabbitMQ 3.10.8 (and other releases before November 2022) leaves
 * the file handle of an ended subscription open until its connection's process collects garbage, so a stream of
 * subscribe/unsubscribe pairs exhausts the node's file descriptors and it then drops connections, other clients'
 * included. So a partition keeps {@value #KEEP} cursors whatever their age, and up to {@value #MAX} while they are in
 * use: a cursor beyond the first {@value #KEEP} is closed once no read used it for {@link #DEFAULT_LINGER_NANOS} ns
 * (a reader that went away), and beyond {@value #MAX} the least recently used one is closed at once. Readers reading
 * one partition together (consumers of different names at the same pace) thus keep their cursors, and no read makes a
 * subscription while fewer than {@value #MAX} readers share the partition.
 *
 * <p>Thread safety: thread-safe; each partition's list is guarded by itself. Owned by its {@link RabbitTopic}, which
 * closes it.
 */
final class Cursors {
    /** Cursors kept per partition however long unused. */
    static final int KEEP = 4;
    /** Cursors kept per partition at most, beyond the reads running (each buffers up to about 2.5 chunks). */
    static final int MAX = 16;
    /** How long a cursor beyond {@link #KEEP} stays unused before it is closed: 2 s. */
    static final long DEFAULT_LINGER_NANOS = 2_000_000_000L;

    private final RabbitTopic topic;
    private final List<List<Cursor>> lists = new ArrayList<>();
    private final long lingerNanos;
    private static final AtomicLong MADE = new AtomicLong(); // cursors made in this JVM, for tests

    Cursors(RabbitTopic topic, int partitions) {
        this(topic, partitions, DEFAULT_LINGER_NANOS);
    }

    /** @param lingerNanos how long a cursor beyond {@link #KEEP} stays unused before it is closed (tests shorten it) */
    Cursors(RabbitTopic topic, int partitions, long lingerNanos) {
        this.topic = topic;
        this.lingerNanos = lingerNanos;
        for (int p = 0; p < partitions; p++) {
            lists.add(new ArrayList<>());
        }
    }

    /**
     * @return a cursor at {@code fromOffset} claimed for the caller alone until {@link #release}: readers of other
     *     consumers at the same position never share one (one's drain would move the position under the other's).
     *     A new cursor first makes room by closing unclaimed ones past their linger or beyond {@value #MAX}; when
     *     every cursor is claimed (more readers of the partition at once than that) the list goes above it until
     *     {@link #release} brings it back
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
            evicted = trim(list, MAX - 1, System.nanoTime());
            c = new Cursor(topic, p, fromOffset);
            c.claimed = true;
            list.add(c);
            MADE.incrementAndGet();
        }
        closeUnused(p, evicted);
        return c;
    }

    /**
     * Ends a read's claim of its cursor, and closes unclaimed cursors past their linger or beyond {@value #MAX}
     * (those made while every cursor was claimed): the list of a partition stays within {@value #MAX} plus the reads
     * running beyond it at this moment.
     */
    void release(int p, Cursor cursor) {
        List<Cursor> list = lists.get(p);
        List<Cursor> evicted;
        synchronized (list) {
            cursor.claimed = false;
            evicted = trim(list, MAX, System.nanoTime());
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
     * Removes the unclaimed cursors beyond the first {@link #KEEP} that no read used for the linger, then the least
     * recently used unclaimed ones while the list holds more than {@code max}; caller locks.
     *
     * @return the cursors removed, for the caller to close once it has let go of the lock
     */
    private List<Cursor> trim(List<Cursor> list, int max, long now) {
        List<Cursor> removed = List.of();
        while (list.size() > KEEP || list.size() > max) {
            Cursor oldest = null;
            for (Cursor c : list) {
                if (!c.claimed && (oldest == null || c.lastUsed() < oldest.lastUsed())) {
                    oldest = c;
                }
            }
            if (oldest == null || (list.size() <= max && now - oldest.lastUsed() < lingerNanos)) {
                break; // every cursor is claimed (release trims), or the oldest unclaimed one is still in use
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

    /** @return how many cursors (subscriptions) all topics of this JVM made so far (for tests) */
    static long made() {
        return MADE.get();
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
