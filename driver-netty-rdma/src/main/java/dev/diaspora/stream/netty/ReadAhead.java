package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ForwardingLocalTopic;
import java.util.HashMap;
import java.util.Map;

/**
 * One read session's view of a {@link NettyTopic} that keeps the next READ of a partition in flight: when a read
 * returns events and the server holds more, the READ for the events that follow is sent at once, so that its answer
 * travels while the engine selects, allocates and fetches the data of the batch just returned. It asks for as many
 * events as the read did, within the bytes that the read's limit leaves after the batch (the engine's room if the
 * application takes nothing meanwhile), so that its answer fits the next read. The next read of the
 * partition takes that answer if it asks from the same id and the batch fits its limits; otherwise (a seek, a rewind,
 * a smaller limit, a failure of the early READ) the answer is dropped and the read is made as usual. Everything else
 * goes to the topic unchanged.
 *
 * <p>A batch read ahead is the one the server would have answered a moment earlier: a retention run or a lost range
 * in between shows up when its data is read, as it would after any read.
 *
 * <p>Thread safety: {@link #read} and {@link #discardAll} on the session's thread only; the rest is the topic's.
 */
final class ReadAhead extends ForwardingLocalTopic {
    /** Marks "no usable answer read ahead" (null is an answer: the end). */
    private static final IncomingBatch NONE = IncomingBatch.failure(0, 0, new DiasporaException("none"));

    private final NettyTopic topic;
    private final Map<Integer, RemoteReads.PendingRead> ahead = new HashMap<>();
    private long used; // reads answered from a READ sent ahead, for tests

    ReadAhead(NettyTopic topic) {
        super(topic);
        this.topic = topic;
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        IncomingBatch b = take(p, fromId, maxEvents, maxBytes);
        if (b == NONE) {
            b = topic.read(p, fromId, maxEvents, maxBytes);
        }
        if (b != null && b.count() > 0 && b.error() == null) {
            // the room the engine will have if the application takes nothing meanwhile: the answer then fits
            long room = Math.max(1, maxBytes - bytes(b));
            RemoteReads.PendingRead next = topic.sendRead(p, b.firstId() + b.count(), maxEvents, room);
            if (next != null) {
                ahead.put(p, next);
            }
        }
        return b;
    }

    /** @return the answer read ahead for this read, or {@link #NONE} */
    private IncomingBatch take(int p, long fromId, int maxEvents, long maxBytes) {
        RemoteReads.PendingRead r = ahead.remove(p);
        if (r == null) {
            return NONE;
        }
        if (r.from() != fromId || r.maxEvents() > maxEvents) {
            r.discard();
            return NONE;
        }
        IncomingBatch b;
        try {
            b = topic.awaitRead(r);
        } catch (DiasporaException e) {
            return NONE; // read again now, which reports the failure as a read does
        }
        if (b != null && !fits(b, maxBytes)) {
            b.release();
            return NONE;
        }
        used++;
        return b;
    }

    /** @return true if {@code b} keeps to {@code maxBytes} as a read with that limit would (at least one event) */
    private static boolean fits(IncomingBatch b, long maxBytes) {
        return b.count() <= 1 || bytes(b) <= maxBytes;
    }

    /** @return the metadata and data bytes of {@code b}'s events, as a read's byte limit counts them */
    private static long bytes(IncomingBatch b) {
        long bytes = 0;
        for (int i = 0; i < b.count(); i++) {
            bytes += b.metadataSize(i) + b.dataSize(i);
        }
        return bytes;
    }

    /** @return the partitions with a READ in flight, for tests */
    Map<Integer, Long> inFlight() {
        Map<Integer, Long> m = new HashMap<>();
        ahead.forEach((p, r) -> m.put(p, r.from()));
        return m;
    }

    /** @return how many reads were answered by a READ sent ahead, for tests */
    long used() {
        return used;
    }

    /** Drops every READ in flight (the session closes). */
    void discardAll() {
        ahead.values().forEach(RemoteReads.PendingRead::discard);
        ahead.clear();
    }
}
