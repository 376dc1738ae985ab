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
 * <p>Two sides, so that the fetch thread and the application thread do not meet on a lock once per event (with a
 * monitor taken four times per event by two threads, the pool made a batch poll half as fast as allocating): what
 * comes back goes into the shared pool under this object's monitor (one hold per event); the fetch thread takes from
 * its own stash, and when that runs dry it takes the whole shared deque of events, or of views of the size it needs,
 * in one hold (the deques are swapped, not copied). The bounds count the stash as it was at the last exchange, so they
 * hold at every moment (they may count a few taken items too many until the next exchange).
 *
 * <p>Thread safety: thread-safe as used: {@link #take}, {@link #event} and {@link #allocate} on the fetch thread only
 * (as a {@link DataAllocator} is called); {@link #release} and {@link #recycle} from any thread (the application's,
 * and the consumer's stop, seek and rebalance paths); {@link #close} once the fetch thread has stopped, or on it.
 */
final class EventRecycler implements DataAllocator {
    private static final int SLOTS = 4;

    private final ConsumerImpl consumer;
    private final DataAllocator allocator;
    private final int maxEvents;
    private final long maxBytes;
    private ArrayDeque<EventImpl> events = new ArrayDeque<>(); // guarded by this
    private final long[] slotSize = new long[SLOTS]; // guarded by this; 0: free slot
    @SuppressWarnings("unchecked")
    private final ArrayDeque<DataView>[] slots = new ArrayDeque[SLOTS]; // guarded by this
    /** Views and events in the pool and the stash (as of the last exchange). */
    private long pooledBytes; // guarded by this
    private int pooledEvents; // guarded by this
    private boolean closed; // guarded by this

    // the fetch thread's stash: swapped with the shared deques under the monitor, else used by that thread alone
    private ArrayDeque<EventImpl> stashEvents = new ArrayDeque<>();
    private int stashEventsTaken; // taken from the stash since the last exchange: not counted off yet
    private final long[] stashSize = new long[SLOTS]; // 0: free
    @SuppressWarnings("unchecked")
    private final ArrayDeque<DataView>[] stash = new ArrayDeque[SLOTS];
    private long stashBytesTaken;

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
            stash[i] = new ArrayDeque<>();
        }
    }

    /**
     * @return a pooled event, not yet aimed at an event: the materializer aims its metadata first
     *     ({@link EventImpl#aimMetadata}), then the rest ({@link EventImpl#reuse}); {@link #recycle} takes it back
     *     either way (fetch thread)
     */
    EventImpl take() {
        return pooledEvent().taken();
    }

    /** @return a pooled event aimed at the given one (fetch thread) */
    EventImpl event(Metadata metadata, DataView data, int partition, long id, long timestampNanos, int tenure) {
        return pooledEvent().reuse(metadata, data, partition, id, timestampNanos, tenure);
    }

    private EventImpl pooledEvent() {
        EventImpl e = stashEvents.poll();
        if (e == null) {
            synchronized (this) {
                pooledEvents -= stashEventsTaken;
                stashEventsTaken = 0;
                if (!events.isEmpty()) {
                    ArrayDeque<EventImpl> empty = stashEvents;
                    stashEvents = events;
                    events = empty;
                }
            }
            e = stashEvents.poll();
            if (e == null) {
                return new EventImpl(consumer, true);
            }
        }
        stashEventsTaken++;
        return e;
    }

    /** A pooled view of exactly the selection's size, else the allocator's (fetch thread). */
    @Override
    public DataView allocate(Metadata metadata, DataDescriptor descriptor) {
        long size = descriptor.size();
        for (int i = 0; i < SLOTS; i++) {
            if (stashSize[i] == size && !stash[i].isEmpty()) {
                stashBytesTaken += size;
                return stash[i].poll();
            }
        }
        DataView v = exchange(size);
        return v != null ? v : allocator.allocate(metadata, descriptor);
    }

    /** The stash holds no view of {@code size}: takes the shared ones of that size. @return one of them, or null */
    private synchronized DataView exchange(long size) {
        pooledBytes -= stashBytesTaken;
        stashBytesTaken = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (slotSize[i] != size || slots[i].isEmpty()) {
                continue;
            }
            for (int j = 0; j < SLOTS; j++) {
                if (stash[j].isEmpty()) {
                    ArrayDeque<DataView> empty = stash[j];
                    stash[j] = slots[i];
                    stashSize[j] = size;
                    slots[i] = empty;
                    stashBytesTaken += size;
                    return stash[j].poll();
                }
            }
            pooledBytes -= size; // every stash slot holds views of other sizes: take just this one
            return slots[i].poll();
        }
        return null;
    }

    /** Takes back a view: into the pool if there is room, else to the allocator. */
    @Override
    public void release(DataView view) {
        long size = view.size();
        if (size > 0) {
            synchronized (this) {
                if (keep(view, size)) {
                    return;
                }
            }
            allocator.release(view);
        }
    }

    /** Holds the monitor. @return whether the view went into the pool, in a slot of its size (taken or made free) */
    private boolean keep(DataView view, long size) {
        if (closed || pooledBytes + size > maxBytes) {
            return false;
        }
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
     * Gives a delivered or dropped event back: its data to the pool (or the allocator), the object to the pool, in one
     * hold of the monitor. An owned event (a kept copy) is left alone.
     */
    void recycle(EventImpl e) {
        if (!e.pooled()) {
            return;
        }
        DataView data = e.data();
        e.recycled();
        long size = data.size();
        boolean kept;
        synchronized (this) {
            kept = size <= 0 || keep(data, size);
            if (!closed && pooledEvents < maxEvents) {
                events.push(e);
                pooledEvents++;
            }
        }
        if (!kept) {
            allocator.release(data);
        }
    }

    /** The consumer stops: pooled views go to the allocator; later recycled views go there directly. */
    void close() {
        ArrayDeque<DataView> out = new ArrayDeque<>();
        synchronized (this) {
            closed = true;
            events.clear();
            stashEvents.clear();
            stashEventsTaken = 0;
            pooledEvents = 0;
            for (int i = 0; i < SLOTS; i++) {
                out.addAll(slots[i]);
                slots[i].clear();
                slotSize[i] = 0;
                out.addAll(stash[i]);
                stash[i].clear();
                stashSize[i] = 0;
            }
            stashBytesTaken = 0;
            pooledBytes = 0;
        }
        for (DataView v : out) {
            allocator.release(v);
        }
    }

    /** @return the data bytes the pool and the stash hold (tests) */
    synchronized long pooledBytes() {
        return pooledBytes - stashBytesTaken;
    }

    /** @return the event objects the pool and the stash hold (tests) */
    synchronized int pooledEvents() {
        return pooledEvents - stashEventsTaken;
    }
}
