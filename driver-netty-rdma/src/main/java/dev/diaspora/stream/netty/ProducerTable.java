package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one partition of a {@link PartitionServer} remembers of its producers to deduplicate retried APPENDs: for
 * each producer id, its last {@link #WINDOW} stored batches (sequence, first EventID, count). A batch whose
 * (producer id, sequence) is remembered was stored already: its retry is answered with the ids it got the first
 * time. Bounded: at most {@code maxProducers} producers (the least recently appending one is forgotten first) and a
 * producer silent for {@code expiryMillis} is forgotten (README, "Exactly-once appends").
 *
 * <p>Thread safety: not thread-safe; used under its partition's {@link PartitionAppends} lock.
 */
final class ProducerTable {
    /**
     * Batches remembered per producer: twice what a client has on the wire per partition ({@link
     * NettyAppender#MAX_ON_WIRE}).
     */
    static final int WINDOW = 8;

    private final int maxProducers;
    private final long expiryMillis;
    /** Access order: the eldest entry is the producer that appended least recently. */
    private final LinkedHashMap<Long, Window> producers = new LinkedHashMap<>(16, 0.75f, true);

    /** One stored batch. */
    record Stored(long producerId, long sequence, long firstId, int count, long timeMillis) {
    }

    ProducerTable(int maxProducers, long expiryMillis) {
        this.maxProducers = maxProducers;
        this.expiryMillis = expiryMillis;
    }

    /**
     * @return the first EventID the batch got when it was stored, or -1 if it was not stored (or is forgotten)
     * @throws DiasporaException (not retriable) if the producer retries a batch older than what is remembered, or a
     *     remembered sequence with another count of events: it cannot be told whether it is stored
     */
    long lookup(long producerId, long sequence, int count, long nowMillis) {
        Window w = producers.get(producerId);
        if (w == null) {
            return -1;
        }
        if (nowMillis - w.lastMillis > expiryMillis) {
            producers.remove(producerId);
            return -1;
        }
        Stored s = w.find(sequence);
        if (s != null) {
            if (s.count() != count) {
                throw new DiasporaException("Producer " + Long.toHexString(producerId) + " retried batch " + sequence
                        + " with " + count + " events, but that batch was stored with " + s.count() + " events at"
                        + " EventID " + s.firstId() + "; a retry must resend the same batch", null, false);
            }
            return s.firstId();
        }
        if (sequence < w.oldest()) {
            throw new DiasporaException("Producer " + Long.toHexString(producerId) + " retried batch " + sequence
                    + ", older than the last " + WINDOW + " batches this partition remembers of it (from " + w.oldest()
                    + "): it may have been stored; it is not stored again", null, false);
        }
        return -1;
    }

    /** Remembers a stored batch, forgetting expired producers and the least recent ones beyond the bound. */
    void stored(Stored s) {
        Window w = producers.computeIfAbsent(s.producerId(), k -> new Window());
        w.add(s);
        Iterator<Window> it = producers.values().iterator();
        while (it.hasNext() && producers.size() > 0) {
            Window eldest = it.next();
            if (producers.size() > maxProducers || s.timeMillis() - eldest.lastMillis > expiryMillis) {
                it.remove();
            } else {
                break;
            }
        }
    }

    /** @return every remembered batch, producers in least recent first order, batches oldest first */
    List<Stored> snapshot() {
        List<Stored> out = new ArrayList<>();
        for (Map.Entry<Long, Window> e : producers.entrySet()) {
            e.getValue().addTo(out);
        }
        return out;
    }

    /** @return the number of producers remembered */
    int size() {
        return producers.size();
    }

    /** The last {@link #WINDOW} batches of one producer, a ring. */
    private static final class Window {
        final Stored[] ring = new Stored[WINDOW];
        int next;
        int size;
        long lastMillis;

        void add(Stored s) {
            ring[next] = s;
            next = (next + 1) % WINDOW;
            size = Math.min(size + 1, WINDOW);
            lastMillis = Math.max(lastMillis, s.timeMillis());
        }

        Stored find(long sequence) {
            for (int i = 0; i < size; i++) {
                Stored s = ring[i];
                if (s.sequence() == sequence) {
                    return s;
                }
            }
            return null;
        }

        long oldest() {
            long min = Long.MAX_VALUE;
            for (int i = 0; i < size; i++) {
                min = Math.min(min, ring[i].sequence());
            }
            return min;
        }

        void addTo(List<Stored> out) {
            int start = size < WINDOW ? 0 : next;
            for (int i = 0; i < size; i++) {
                out.add(ring[(start + i) % WINDOW]);
            }
        }
    }
}
