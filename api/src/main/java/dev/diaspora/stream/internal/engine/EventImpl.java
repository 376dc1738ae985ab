package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventID;
import dev.diaspora.stream.Metadata;
import java.time.Instant;

/** A delivered event; {@code acknowledge()} goes to its consumer. Not API. */
final class EventImpl implements Event, ReadyItem {
    /** The end-of-stream sentinel. */
    static final EventImpl NO_MORE = new EventImpl(null, Metadata.EMPTY, DataView.EMPTY, -1, EventID.NO_MORE_EVENTS, 0L,
            0);

    private final ConsumerImpl consumer;
    private final Metadata metadata;
    private final DataView data;
    private final int partition;
    private final long id;
    private final long timestampNanos;
    private final int tenure; // the consumer's tenure of the partition it was delivered in (Tenures)

    EventImpl(ConsumerImpl consumer, Metadata metadata, DataView data, int partition, long id, long timestampNanos,
            int tenure) {
        this.consumer = consumer;
        this.metadata = metadata;
        this.data = data;
        this.partition = partition;
        this.id = id;
        this.timestampNanos = timestampNanos;
        this.tenure = tenure;
    }

    @Override
    public Metadata metadata() {
        return metadata;
    }

    @Override
    public DataView data() {
        return data;
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public Instant timestamp() {
        return Instant.ofEpochSecond(0, timestampNanos);
    }

    @Override
    public void acknowledge() {
        if (consumer != null) {
            consumer.acknowledge(partition, id, tenure);
        }
    }

    @Override
    public long bytes() {
        return metadata.size() + data.size();
    }

    @Override
    public String toString() {
        return id == EventID.NO_MORE_EVENTS ? "Event[NO_MORE_EVENTS]"
                : "Event[partition " + partition + ", id " + id + ", " + metadata.size() + " B metadata, " + data.size()
                        + " B data]";
    }
}
