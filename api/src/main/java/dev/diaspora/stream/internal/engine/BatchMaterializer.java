package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InvalidSelectionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Serializer;
import dev.diaspora.stream.UnreadableEventPolicy;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.ReadSession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Turns a batch the driver read into ready items: runs the deserializer, the data selector and the allocator on each
 * event, asks the session for the selected bytes of the whole batch at once, and builds the events, with markers for
 * what cannot be delivered ({@link UnreadableEvents}). Also releases the data of items that will not be delivered.
 * Not API.
 *
 * <p>Thread safety: {@link #materialize} on the consumer's fetch thread only; {@link #release} from any thread.
 *
 * <p>Allocation: the per-batch work arrays, the list of data requests, the {@link DataRequest}s themselves and the list
 * of prepared items are owned by the materializer and reused from batch to batch (cleared after each, so that they
 * pin no event); with the default serializer each event's metadata is read through one window on the batch's buffer
 * instead of a slice per event. What is left per event is what the event itself is made of: its {@link EventImpl},
 * the deserializer's {@link Metadata}, the driver's descriptor and the allocator's view, all of which the application
 * may keep. Under {@code recycleEvents} nothing is left in steady state: the {@link EventRecycler} supplies the event
 * and the view from its pool, each item's descriptor is a flyweight of the materializer ({@link Flyweights}), and with
 * the default serializer each event's metadata text is copied into its pooled event's own buffer, shown through the
 * event's flyweight {@link Metadata}, so that the batch's buffers go back to the driver ({@link IncomingBatch#recycle}).
 */
final class BatchMaterializer {
    /**
     * A prepared batch.
     *
     * @param items events and markers in EventID order; owned by the materializer: valid until the next
     *     {@link #materialize} (the ready queues copy the items out)
     * @param events how many of the items are events
     * @param bytes the bytes of those events
     * @param rewindTo the id the session must be moved back (or on) to before it reads the partition again, or -1
     */
    record Prepared(List<ReadyItem> items, int events, long bytes, long rewindTo) {
    }

    private static final Flyweights.DescriptorAccess DESCRIPTORS = Flyweights.descriptors();
    /** The classes of the built-in allocators, which keep no descriptor they are given. */
    private static final Class<?> HEAP = DataAllocator.heap().getClass();
    private static final Class<?> DIRECT = DataAllocator.direct().getClass();

    private final ConsumerImpl consumer;
    private final Serializer serializer;
    private final DataSelector selector;
    private final DataAllocator allocator;
    private final EventRecycler recycler; // null unless recycleEvents
    private final boolean defaultSerializer; // keeps no reference to the buffer it reads: one window serves all
    private final boolean flyweights; // recycleEvents with the default serializer: metadata copied into pooled events
    private final boolean failStops;
    private final UnreadableEvents unreadable;
    private final AckTracker acks;
    // fetch-thread scratch, reused by every batch and cleared after it (see the class comment)
    private final List<DataRequest> requests = new ArrayList<>();
    private DataRequest[] spare = new DataRequest[0]; // requests reused from batch to batch
    private final ArrayList<ReadyItem> out = new ArrayList<>();
    private DataDescriptor[] selections = new DataDescriptor[0];
    private DataRequest[] byEvent = new DataRequest[0];
    private Metadata[] mds = new Metadata[0];
    private EventImpl[] pooled = new EventImpl[0]; // flyweights: the event taken for each item, until it is built
    private DataDescriptor[] wholes = new DataDescriptor[0]; // reusedDescriptors: each item's descriptor
    private final boolean reusedDescriptors; // see descriptorsUnseen
    private DiasporaException[] unprepared = new DiasporaException[0]; // per event: why it could not be prepared

    /** @param recycler the pool of a consumer opened with {@code recycleEvents} (its allocator in front), or null */
    BatchMaterializer(ConsumerImpl consumer, Serializer serializer, DataSelector selector, DataAllocator allocator,
            EventRecycler recycler, UnreadableEventPolicy policy, UnreadableEvents unreadable, AckTracker acks) {
        this.consumer = consumer;
        this.serializer = serializer;
        this.defaultSerializer = serializer == Serializer.defaultSerializer();
        this.selector = selector;
        this.allocator = recycler != null ? recycler : allocator;
        this.recycler = recycler;
        this.flyweights = recycler != null && defaultSerializer;
        this.reusedDescriptors = recycler != null || descriptorsUnseen(selector, allocator);
        this.failStops = policy == UnreadableEventPolicy.FAIL;
        this.unreadable = unreadable;
        this.acks = acks;
    }

    /**
     * @return whether no application code sees the descriptor of an event's whole data, so that one descriptor per
     *     batch slot can be aimed at each event in turn instead of one made per event: the built-in selectors (the
     *     default {@link DataSelector#ALL} hands it to the allocator, {@link DataSelector#NONE} drops it) with a
     *     built-in allocator. (Under {@code recycleEvents} the descriptor is reused whatever the selector, as that
     *     option documents.) The descriptor never reaches the event: it lives until the batch's data is read.
     */
    static boolean descriptorsUnseen(DataSelector selector, DataAllocator allocator) {
        boolean builtInSelector = selector == DataSelector.ALL || selector == DataSelector.NONE;
        return builtInSelector && (allocator.getClass() == HEAP || allocator.getClass() == DIRECT);
    }

    /** Prepares batch {@code b} (and releases it), reading the selected data through {@code session}. */
    Prepared materialize(IncomingBatch b, ReadSession session) {
        int n = b.count();
        if (n > mds.length) {
            int size = Math.max(n, 2 * mds.length);
            selections = new DataDescriptor[size];
            byEvent = new DataRequest[size];
            mds = new Metadata[size];
            pooled = new EventImpl[size];
            if (reusedDescriptors) {
                DataDescriptor[] more = java.util.Arrays.copyOf(wholes, size);
                for (int i = wholes.length; i < size; i++) {
                    more[i] = DESCRIPTORS.create();
                }
                wholes = more;
            }
            unprepared = new DiasporaException[size];
            DataRequest[] more = java.util.Arrays.copyOf(spare, size);
            for (int i = spare.length; i < size; i++) {
                more[i] = new DataRequest(0, 0, DataDescriptor.NONE, DataView.EMPTY);
            }
            spare = more;
        }
        out.clear();
        try {
            return materialize(b, session, n);
        } finally {
            // the arrays are sized for the largest batch so far: clear what this one used, so they pin no event
            java.util.Arrays.fill(selections, 0, n, null);
            java.util.Arrays.fill(byEvent, 0, n, null);
            java.util.Arrays.fill(mds, 0, n, null);
            java.util.Arrays.fill(unprepared, 0, n, null);
            for (int i = 0; flyweights && i < n; i++) {
                if (pooled[i] != null) { // taken for an item that is not delivered (unreadable, or after a stop)
                    recycler.recycle(pooled[i]);
                    pooled[i] = null;
                }
            }
            for (DataRequest r : requests) {
                r.clear();
            }
            requests.clear();
        }
    }

    private Prepared materialize(IncomingBatch b, ReadSession session, int n) {
        int p = b.partition();
        boolean anyUnprepared = false;
        int good = n;
        ByteBuffer window = defaultSerializer ? b.metadataWindow() : null;
        for (int i = 0; i < n; i++) {
            long id = b.firstId() + i;
            try {
                Metadata md;
                if (flyweights) {
                    EventImpl e = recycler.take();
                    pooled[i] = e;
                    b.metadata(i, window);
                    md = e.aimMetadata(window, window.position(), window.remaining());
                } else {
                    md = serializer.deserialize(window != null ? b.metadata(i, window) : b.metadata(i));
                }
                DataDescriptor whole = !reusedDescriptors ? b.descriptor(i)
                        : DESCRIPTORS.aim(wholes[i], b.location(i), b.dataSize(i)); // read only until readData
                DataDescriptor sel = select(p, id, md, whole);
                if (sel.size() > 0) {
                    DataRequest r = spare[requests.size()].reuse(p, id, sel, allocate(p, id, md, sel));
                    requests.add(r);
                    byEvent[i] = r;
                }
                mds[i] = md;
                selections[i] = sel;
            } catch (RuntimeException e) {
                DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                        : new DiasporaException("partition " + p + ", event " + id
                                + ": the deserializer, data selector or allocator failed: " + e, e);
                anyUnprepared = true;
                unprepared[i] = d; // handled in order below, so that nothing after a rewind point is counted
                if (failStops) {
                    good = i;
                    break;
                }
            }
        }
        if (!requests.isEmpty()) {
            readData(p, requests, session);
        }
        long bytes = 0;
        int events = 0;
        long rewindTo = -1;
        int tenure = acks.tenure(p); // one read per batch: tenures change on this (the fetch) thread only
        for (int i = 0; i < good; i++) {
            if (anyUnprepared && unprepared[i] != null) {
                out.add(unreadable.unreadable(p, b.firstId() + i, unprepared[i], acks.acked())); // SKIP
                continue;
            }
            DataRequest r = byEvent[i];
            if (r != null && r.error() != null) {
                long id = b.firstId() + i;
                ReadyMarker m = r.error().isRetriable() ? null
                        : unreadable.unreadable(p, id, r.error(), acks.acked());
                if (m != null && !m.sticky()) {
                    allocator.release(r.target()); // skipped: the other events' data is good
                    out.add(m);
                    continue;
                }
                for (int j = i; j < good; j++) {
                    if (byEvent[j] != null) {
                        allocator.release(byEvent[j].target());
                    }
                }
                if (m == null) {
                    // a transient failure (a lost connection): deliver what came before it, pause the partition
                    // and read it again from there (retryRewinds), rather than stopping it until the user seeks
                    rewindTo = id;
                } else {
                    out.add(m);
                }
                good = -1;
                break;
            }
            DataView data = r == null ? DataView.EMPTY : r.target().trim(selections[i].size());
            EventImpl e;
            if (flyweights) {
                e = pooled[i].reuse(mds[i], data, p, b.firstId() + i, b.timestampNanos(i), tenure);
                pooled[i] = null;
            } else if (recycler != null) {
                e = recycler.event(mds[i], data, p, b.firstId() + i, b.timestampNanos(i), tenure);
            } else {
                e = new EventImpl(consumer, mds[i], data, p, b.firstId() + i, b.timestampNanos(i), tenure);
            }
            bytes += e.bytes();
            events++;
            out.add(e);
        }
        if (good >= 0 && good < n) { // FAIL: the event that stopped the preparing loop
            out.add(unreadable.unreadable(p, b.firstId() + good, unprepared[good], acks.acked()));
        } else if (good == n && b.error() != null) { // the driver could not read the record after them
            long id = b.firstId() + n;
            DiasporaException error = b.error();
            if (error instanceof EventsLostException lost) {
                rewindTo = lost.lastLostId() + 1; // a no-op for a session that has already moved past the range
                out.add(unreadable.lost(lost, acks.acked()));
            } else if (error.isRetriable()) {
                out.add(ReadyMarker.failed(error));
            } else {
                ReadyMarker m = unreadable.unreadable(p, id, error, acks.acked());
                if (!m.sticky()) {
                    rewindTo = id + 1; // the session stays at an unreadable record: move it past
                }
                out.add(m);
            }
        }
        b.release();
        if (flyweights) {
            b.recycle(); // every event's metadata is a copy: the driver may reuse the batch's buffers
        }
        return new Prepared(out, events, bytes, rewindTo);
    }

    private DataDescriptor select(int p, long id, Metadata md, DataDescriptor whole) {
        DataDescriptor sel = selector.select(md, whole);
        if (sel == null) {
            return DataDescriptor.NONE;
        }
        if (sel.size() > 0 && !sel.isDerivedFrom(whole)) {
            throw new InvalidSelectionException("partition " + p + ", event " + id + ": the data selector returned "
                    + sel + ", which was not made from the descriptor it was given (" + whole + "); return the given"
                    + " descriptor, a view of it, or DataDescriptor.NONE");
        }
        return sel;
    }

    private DataView allocate(int p, long id, Metadata md, DataDescriptor sel) {
        DataView target = allocator.allocate(md, sel);
        if (target == null || target.size() < sel.size()) {
            if (target != null) {
                allocator.release(target);
            }
            throw new InvalidSelectionException("partition " + p + ", event " + id + ": the data allocator returned "
                    + (target == null ? "null" : target.size() + " bytes") + " for a selection of " + sel.size()
                    + " bytes");
        }
        return target;
    }

    private static void readData(int p, List<DataRequest> requests, ReadSession session) {
        try {
            session.readData(requests);
        } catch (RuntimeException e) {
            for (DataRequest r : requests) {
                r.fail(e instanceof DiasporaException ? (DiasporaException) e
                        : new DiasporaException("partition " + p + ", event " + r.eventId()
                                + ": the driver failed to read the data: " + e, e));
            }
        }
    }

    /** The last prepared batch was queued or released: its items list is cleared, so that it pins no event. */
    void done() {
        out.clear();
    }

    /** Gives the data of events that will not be delivered back to the allocator. */
    void release(Collection<ReadyItem> items) {
        for (ReadyItem o : items) {
            release(o);
        }
    }

    /**
     * Gives the data of an event that will not be delivered back to the allocator (a marker holds none); a pooled
     * event goes back to its pool with its data.
     */
    void release(ReadyItem item) {
        if (item instanceof EventImpl e) {
            if (e.pooled()) {
                recycler.recycle(e);
            } else if (e.data().size() > 0) {
                allocator.release(e.data());
            }
        }
    }
}
