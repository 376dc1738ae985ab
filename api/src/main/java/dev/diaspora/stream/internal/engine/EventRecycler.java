package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import java.util.ArrayDeque;

/**
 * The pool of a consumer opened with {@code recycleEvents}: event objects and data buffers that came back after their
 * processor returned, reused for later events. Not API.
 *
 * <p>Events: at most {@code maxEvents} wait in the pool; the rest are left to the garbage collector. Data: views are
 * kept by exact size in a few size slots (a workload of uniform sizes reuses every buffer; a slot whose size stops
 * coming is emptied for a new size), at most {@code maxBytes} in all; a view the pool does not keep goes to the
 * allocator's {@link DataAllocator#release}. {@link #close()} gives every pooled view to the allocator, and views
 * recycled after it go there straight away: nothing leaks when the consumer closes with events in flight.
 *
 * <p>Thread safety: thread-safe; the fetch thread takes, the application thread (and the consumer's stop, seek and
 * rebalance paths) give back, all under this object's monitor (one short hold per event).
 */
final class EventRecycler implements DataAllocator {
    private static final int SLOTS = 4;

    private final ConsumerImpl consumer;
    private final DataAllocator allocator;
    private final int maxEvents;
    private final long maxBytes;
    private final ArrayDeque<EventImpl> events = new ArrayDeque<>(); // guarded by this
    private final long[] slotSize = new long[SLOTS]; // guarded by this; 0: free slot
    @SuppressWarnings("unchecked")
    private final ArrayDeque<DataView>[] slots = new ArrayDeque[SLOTS]; // guarded by this
    private long pooledBytes; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param consumer the events' consumer (their acknowledge goes there)
     * @param allocator allocates what the pool does not hold, and takes back what it does not keep
     * @param maxEvents the most event objects kept
     * @param maxBytes the most data bytes kept
     */
    EventRecycler(ConsumerImpl consumer, DataAllocator allocator, int maxEvents, long maxBytes) {
        this.consumer = consumer;
        this.allocator = allocator;
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new ArrayDeque<>();
        }
    }

    /**
     * @return a pooled event, not yet aimed at an event: the materializer aims its metadata first
     *     ({@link EventImpl#aimMetadata}), then the rest ({@link EventImpl#reuse}); {@link #recycle} takes it back
     *     either way (fetch thread)
     */
    EventImpl take() {
        EventImpl e;
        synchronized (this) {
            e = events.poll();
        }
        return (e == null ? new EventImpl(consumer, true) : e).taken();
    }

    /** @return a pooled event aimed at the given one (fetch thread) */
    EventImpl event(Metadata metadata, DataView data, int partition, long id, long timestampNanos, int tenure) {
        EventImpl e;
        synchronized (this) {
            e = events.poll();
        }
        if (e == null) {
            e = new EventImpl(consumer, true);
        }
        return e.reuse(metadata, data, partition, id, timestampNanos, tenure);
    }

    /** A pooled view of exactly the selection's size, else the allocator's (fetch thread). */
    @Override
    public DataView allocate(Metadata metadata, DataDescriptor descriptor) {
        long size = descriptor.size();
        synchronized (this) {
            for (int i = 0; i < SLOTS; i++) {
                if (slotSize[i] == size && !slots[i].isEmpty()) {
                    pooledBytes -= size;
                    return slots[i].poll();
                }
            }
        }
        return allocator.allocate(metadata, descriptor);
    }

    /** Takes back a view: into the pool if there is room, else to the allocator. */
    @Override
    public void release(DataView view) {
        long size = view.size();
        if (size > 0) {
            synchronized (this) {
                if (!closed && pooledBytes + size <= maxBytes && keep(view, size)) {
                    return;
                }
            }
            allocator.release(view);
        }
    }

    /** Holds the monitor. @return whether the view went into a slot of its size (taken or made free) */
    private boolean keep(DataView view, long size) {
        int free = -1;
        for (int i = 0; i < SLOTS; i++) {
            if (slotSize[i] == size) {
                slots[i].push(view);
                pooledBytes += size;
                return true;
            }
            if (free < 0 && slots[i].isEmpty()) {
                free = i; // unused, or its size stopped coming back
            }
        }
        if (free < 0) {
            return false; // every slot holds views of another size in use: let this one go
        }
        slotSize[free] = size;
        slots[free].push(view);
        pooledBytes += size;
        return true;
    }

    /**
     * Gives a delivered or dropped event back: its data to the pool (or the allocator), the object to the pool. An
     * owned event (a kept copy) is left alone.
     */
    void recycle(EventImpl e) {
        if (!e.pooled()) {
            return;
        }
        DataView data = e.data();
        e.recycled();
        release(data);
        synchronized (this) {
            if (!closed && events.size() < maxEvents) {
                events.push(e);
            }
        }
    }

    /** The consumer stops: pooled views go to the allocator; later recycled views go there directly. */
    void close() {
        ArrayDeque<DataView> out = new ArrayDeque<>();
        synchronized (this) {
            closed = true;
            events.clear();
            for (int i = 0; i < SLOTS; i++) {
                out.addAll(slots[i]);
                slots[i].clear();
                slotSize[i] = 0;
            }
            pooledBytes = 0;
        }
        for (DataView v : out) {
            allocator.release(v);
        }
    }

    /** @return the data bytes the pool holds (tests) */
    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** @return the event objects the pool holds (tests) */
    synchronized int pooledEvents() {
        return events.size();
    }
}
