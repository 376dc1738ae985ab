package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventID;
import dev.diaspora.stream.Metadata;
import java.time.Instant;

/**
 * A delivered event; {@code acknowledge()} goes to its consumer. Not API.
 *
 * <p>Two kinds: an owned event (the default) never changes after it is made. A pooled event belongs to the
 * {@link EventRecycler} of a consumer opened with {@code recycleEvents}: the engine re-aims it at another event with
 * {@link #reuse} after it was given back with {@link #recycled()}; while it sits in the pool every accessor throws
 * {@link IllegalStateException} (a kept reference used after its processor returned).
 *
 * <p>Thread safety: an owned event is immutable once published; a pooled one is handed between the fetch thread and
 * the application thread through the consumer's lock and the recycler's lock, which order its changes.
 */
final class EventImpl implements Event, ReadyItem {
    /** A pooled event's flyweight metadata and the buffer it shows, grown to the longest text so far. */
    private static final class OwnText {
        final Metadata flyweight = FLYWEIGHTS.create();
        byte[] text = new byte[0];
    }

    private static final Flyweights.MetadataAccess FLYWEIGHTS = Flyweights.metadata();

    /** The end-of-stream sentinel. */
    static final EventImpl NO_MORE = new EventImpl(null, Metadata.EMPTY, DataView.EMPTY, -1, EventID.NO_MORE_EVENTS, 0L,
            0);

    private final ConsumerImpl consumer;
    private final boolean pooled;
    private OwnText own; // pooled events with flyweight metadata: made on first use (one field: owned events stay small)
    private boolean inPool; // pooled events only: given back, not yet re-aimed
    private Metadata metadata;
    private DataView data;
    private int partition;
    private long id;
    private long timestampNanos;
    private int tenure; // the consumer's tenure of the partition it was delivered in (Tenures)

    EventImpl(ConsumerImpl consumer, Metadata metadata, DataView data, int partition, long id, long timestampNanos,
            int tenure) {
        this(consumer, false);
        reuse(metadata, data, partition, id, timestampNanos, tenure);
        // what final fields gave before: an owned event published through a data race is still seen whole
        java.lang.invoke.VarHandle.releaseFence();
    }

    /** @param pooled whether the event belongs to a recycler (see the class comment) */
    EventImpl(ConsumerImpl consumer, boolean pooled) {
        this.consumer = consumer;
        this.pooled = pooled;
    }

    /** Aims the event at another one; for a pooled event, after it was taken from the pool. */
    EventImpl reuse(Metadata metadata, DataView data, int partition, long id, long timestampNanos, int tenure) {
        this.metadata = metadata;
        this.data = data;
        this.partition = partition;
        this.id = id;
        this.timestampNanos = timestampNanos;
        this.tenure = tenure;
        this.inPool = false;
        return this;
    }

    /**
     * Pooled events: copies {@code length} bytes of metadata text from {@code src} at absolute index {@code from} into
     * the event's own buffer (grown only when a longer text comes) and aims its flyweight metadata at it; nothing is
     * allocated once the buffer has grown, and the batch's buffer is not pinned.
     *
     * @return the flyweight, to {@link #reuse} the event with
     */
    Metadata aimMetadata(java.nio.ByteBuffer src, int from, int length) {
        OwnText o = own;
        if (o == null) {
            o = new OwnText();
            own = o;
        }
        if (o.text.length < length) {
            o.text = new byte[Math.max(length, Math.min(2 * o.text.length, Metadata.MAX_SIZE))];
        }
        src.get(from, o.text, 0, length);
        FLYWEIGHTS.aim(o.flyweight, o.text, length);
        return o.flyweight;
    }

    /** @return whether the event belongs to a recycler */
    boolean pooled() {
        return pooled;
    }

    /** Pooled events: taken from the pool, to be aimed; until then it holds no data (a recycle gives none back). */
    EventImpl taken() {
        inPool = false;
        metadata = Metadata.EMPTY;
        data = DataView.EMPTY;
        return this;
    }

    /** The event went back to its pool: its fields are dropped so that the pool pins nothing. */
    void recycled() {
        inPool = true;
        metadata = null;
        data = null;
    }

    private void check() {
        if (inPool) {
            throw new IllegalStateException("this event was recycled when the EventProcessor it was given to returned:"
                    + " the consumer is opened with ConsumerOptions.recycleEvents(true), under which an event is valid"
                    + " only during the call; call event.keep() inside the call to keep an event");
        }
    }

    @Override
    public Metadata metadata() {
        check();
        return metadata;
    }

    @Override
    public DataView data() {
        check();
        return data;
    }

    @Override
    public int partition() {
        check();
        return partition;
    }

    @Override
    public long id() {
        check();
        return id;
    }

    @Override
    public Instant timestamp() {
        check();
        return Instant.ofEpochSecond(0, timestampNanos);
    }

    @Override
    public void acknowledge() {
        check();
        if (consumer != null) {
            consumer.acknowledge(partition, id, tenure);
        }
    }

    /** @return this event if it is owned; for a pooled one an owned copy, of its data and of flyweight metadata */
    @Override
    public Event keep() {
        check();
        if (!pooled) {
            return this;
        }
        DataView copy = DataView.of(data.toByteArray()); // EMPTY when there is none
        // the flyweight shows a later event's text once this one is recycled: copied; other metadata is immutable
        Metadata md = own != null && metadata == own.flyweight ? Metadata.ofUtf8(metadata.toUtf8Bytes()) : metadata;
        return new EventImpl(consumer, md, copy, partition, id, timestampNanos, tenure);
    }

    /** @return the prefetch bytes of the event: its metadata and data */
    @Override
    public long bytes() {
        return metadata.size() + data.size();
    }

    @Override
    public String toString() {
        if (inPool) {
            return "Event[recycled]";
        }
        return id == EventID.NO_MORE_EVENTS ? "Event[NO_MORE_EVENTS]"
                : "Event[partition " + partition + ", id " + id + ", " + metadata.size() + " B metadata, " + data.size()
                        + " B data]";
    }
}
