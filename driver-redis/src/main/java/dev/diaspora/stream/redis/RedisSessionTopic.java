package dev.diaspora.stream.redis;

import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ForwardingLocalTopic;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The topic as one consumer's read session sees it: reads of each partition bring the events' data along in the same
 * round trip when this consumer's recent batches of that partition wanted it whole, and leave it on the server when
 * not (the driver does not see the consumer's data selector, only the data requests it leads to).
 *
 * <p>Per partition it keeps a mode: a partition starts without data (a consumer that selects no data never fetches
 * any); after each batch, the mode becomes "with data" if at least half of the batch's events that can come with
 * their data (stored as one field of at most {@link RedisReads#INLINE_MAX} bytes) were asked for whole, and "without
 * data" otherwise. A read with data asks for the data fields of as many events as fit in the read's byte limit at the
 * size of the last batch's events ({@link #dataFields}); it does not know the sizes of the events it has not read
 * yet, so in a partition whose events mix small and large data, the large data in that range comes along too, and a
 * partition whose events grow fetches up to one batch of data past the byte limit in vain. A partition of large
 * events only never reads with data: their data is read apart, with windowed plain commands. A mispredicted batch
 * costs one more round trip (data read apart, {@link RedisReads#readData}) or data fetched in vain, one batch each
 * time the consumer's selections change. Data that came with a batch fills the requests of that batch only, whole or
 * part; the rest is read apart.
 *
 * <p>Thread safety: used by one session, whose fetch thread reads and materializes; the pending batches are guarded
 * by their deque, since a batch may be released from another thread.
 */
final class RedisSessionTopic extends ForwardingLocalTopic {
    /** pending batches kept per partition at most: a batch never released is dropped with its data */
    private static final int MAX_PENDING = 4;

    private final RedisTopic topic;
    private final RedisReads reads;
    private final Map<Integer, Partition> partitions = new java.util.concurrent.ConcurrentHashMap<>();

    /** One partition's mode and the batches read and not yet released. */
    private static final class Partition {
        volatile boolean withData;
        volatile long eventBytes; // metadata plus data per event in the last batch read (0: none yet)
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
    }

    /** A batch read and not yet released: its data and how its events were asked for. */
    private static final class Pending {
        long firstId;
        long[] sizes;
        long[] locations;
        ByteBuffer[] data;
        int eligible; // events whose data can come with the batch (see inlinable)
        int whole; // of those, how many were asked for whole

        void init(IncomingBatch b, ByteBuffer[] data) {
            this.firstId = b.firstId();
            this.sizes = new long[b.count()];
            this.locations = new long[b.count()];
            for (int i = 0; i < b.count(); i++) {
                sizes[i] = b.dataSize(i);
                locations[i] = b.location(i);
                if (inlinable(sizes[i], locations[i])) {
                    eligible++;
                }
            }
            this.data = data;
        }

        /** @return whether an event's data can come with its batch: stored as one field, not empty, small */
        static boolean inlinable(long size, long location) {
            return size > 0 && size <= RedisReads.INLINE_MAX && (location & 63) == 0;
        }

        boolean holds(long id) {
            return id >= firstId && id < firstId + sizes.length;
        }
    }

    RedisSessionTopic(RedisTopic topic, RedisReads reads) {
        super(topic);
        this.topic = topic;
        this.reads = reads;
    }

    private Partition partition(int p) {
        return partitions.computeIfAbsent(p, k -> new Partition());
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        Partition part = partition(p);
        Pending pending = new Pending();
        RedisReads.Fetched f = reads.fetch(p, fromId, maxEvents, maxBytes, part.withData
                ? dataFields(maxEvents, maxBytes, part.eventBytes) : 0, () -> released(part, pending));
        IncomingBatch b = f.batch();
        if (b == null || b.count() == 0) {
            return b;
        }
        long bytes = 0;
        for (int i = 0; i < b.count(); i++) {
            bytes += b.metadataSize(i) + b.dataSize(i);
        }
        part.eventBytes = Math.max(1, bytes / b.count());
        synchronized (part.pending) {
            pending.init(b, f.data());
            if (part.pending.size() == MAX_PENDING) {
                part.pending.removeFirst();
            }
            part.pending.addLast(pending);
        }
        return b;
    }

    /**
     * @return how many events' data fields a read with data asks for: as many as fit in {@code maxBytes} at the size
     *     of the partition's last batch's events (one more, so that a batch cut by bytes is not one short), so that
     *     data past the byte limit, which the read drops, is rarely fetched; at most {@code maxEvents}
     */
    static int dataFields(int maxEvents, long maxBytes, long eventBytes) {
        if (eventBytes <= 0) {
            return maxEvents;
        }
        long fit = Math.max(0, maxBytes / eventBytes);
        return fit >= maxEvents ? maxEvents : (int) fit + 1;
    }

    /** Learns from a batch the engine is done with, and drops its data. */
    private static void released(Partition part, Pending pending) {
        synchronized (part.pending) {
            if (!part.pending.remove(pending)) {
                return; // dropped (never released in time): learn nothing from it
            }
        }
        if (pending.eligible > 0) {
            part.withData = 2 * pending.whole >= pending.eligible;
        }
    }

    @Override
    public void readData(List<DataRequest> requests) {
        List<DataRequest> rest = null;
        for (int i = 0; i < requests.size(); i++) {
            DataRequest r = requests.get(i);
            ByteBuffer inline = take(r);
            if (inline != null) {
                r.fillFrom(inline);
            } else {
                if (rest == null) {
                    rest = new ArrayList<>(requests.size() - i);
                }
                rest.add(r);
            }
        }
        if (rest != null) {
            reads.readData(rest);
        }
    }

    /** Counts a request in its batch; @return the data that came with its event, or null */
    private ByteBuffer take(DataRequest r) {
        Partition part = partitions.get(r.partition());
        if (part == null) {
            return null;
        }
        synchronized (part.pending) {
            for (Pending p : part.pending) {
                if (p.holds(r.eventId())) {
                    int i = (int) (r.eventId() - p.firstId);
                    if (Pending.inlinable(p.sizes[i], p.locations[i]) && r.descriptor().size() == p.sizes[i]) {
                        p.whole++;
                    }
                    return p.data == null ? null : p.data[i];
                }
            }
        }
        return null;
    }
}
