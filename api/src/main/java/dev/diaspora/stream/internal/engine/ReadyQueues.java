package dev.diaspora.stream.internal.engine;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;

/**
 * A consumer's per-partition ready queues with their prefetch accounting: the events (and markers) the fetch thread
 * has prepared, taken round robin across the assigned partitions, one at a time; how many events and bytes wait in
 * them; which partitions the fetch thread should pause (too many ready events, or a sticky failure at the head); and
 * each partition's delivery position ({@code delivered}: the next id a pull will see), which taking and putting back
 * items move. Not API.
 *
 * <p>Thread safety: not thread-safe; every method runs under the consumer's lock, except {@link #parts()}, which any
 * thread may read. The {@link Signals} are called under that lock.
 */
final class ReadyQueues {
    /** What the queues tell their owner, under its lock. */
    interface Signals {
        /** Prefetched bytes were freed: the fetch thread may read again. */
        void spaceFreed();

        /** A paused partition fell below the pause threshold: the fetch thread should resume it. */
        void belowThreshold(int partition);
    }

    private long pauseThreshold;
    private final PartitionLongs delivered;
    private final Signals signals;
    private ArrayDeque<ReadyItem>[] ready;
    private long[] readyEvents;
    private boolean[] pausedShadow; // what the fetch thread has paused, as last decided in wantPause
    private boolean[] failed; // a sticky marker was queued and not cleared by a seek
    private boolean[] assigned;
    private long[] epochs; // bumped when a partition's queue and position are reset (seek, leave, arrive, clear)
    private volatile int[] parts = new int[0]; // the assigned partitions, sorted
    private int cursor;
    private long prefetchedBytes;
    private long prefetchedEvents;

    /**
     * @param pauseThreshold ready events of a partition at which it should be paused
     * @param delivered the consumer's per-partition delivery positions, moved as items are taken and put back
     */
    @SuppressWarnings("unchecked")
    ReadyQueues(long pauseThreshold, PartitionLongs delivered, Signals signals) {
        this.pauseThreshold = pauseThreshold;
        this.delivered = delivered;
        this.signals = signals;
        this.ready = new ArrayDeque[0];
        this.readyEvents = new long[0];
        this.pausedShadow = new boolean[0];
        this.failed = new boolean[0];
        this.assigned = new boolean[0];
        this.epochs = new long[0];
    }

    /** Sets the ready events of a partition at which it should be paused (the read size grew). */
    void pauseThreshold(long events) {
        pauseThreshold = events;
    }

    /** @return the number of partitions covered */
    int length() {
        return assigned.length;
    }

    /** Covers at least {@code n} partitions (the topic grew); new ones are unassigned and empty. */
    void grow(int n) {
        int old = ready.length;
        if (n <= old) {
            return;
        }
        ArrayDeque<ReadyItem>[] r = Arrays.copyOf(ready, n);
        for (int i = old; i < n; i++) {
            r[i] = new ArrayDeque<>();
        }
        ready = r;
        readyEvents = Arrays.copyOf(readyEvents, n);
        pausedShadow = Arrays.copyOf(pausedShadow, n);
        failed = Arrays.copyOf(failed, n);
        assigned = Arrays.copyOf(assigned, n);
        epochs = Arrays.copyOf(epochs, n);
    }

    /** @return the assigned partitions, sorted; safe from any thread (the array is never changed once published) */
    int[] parts() {
        return parts;
    }

    boolean assigned(int p) {
        return p < assigned.length && assigned[p];
    }

    /** Partition {@code p} left: its items go to {@code into} (to release), its flags are cleared. */
    void leave(int p, Collection<ReadyItem> into) {
        assigned[p] = false;
        epochs[p]++;
        drop(p, into);
        failed[p] = false;
        pausedShadow[p] = false;
    }

    /** Partition {@code p} arrived, to be read from {@code position}. */
    void arrive(int p, long position) {
        assigned[p] = true;
        epochs[p]++;
        delivered.set(p, position);
    }

    /** Sets the assigned partitions (after {@link #leave} and {@link #arrive}); round robin starts over. */
    void assignment(int[] sorted) {
        parts = sorted;
        cursor = 0;
    }

    /** Partition {@code p} was moved to {@code id}: its items go to {@code into}, a sticky failure is cleared. */
    void seeked(int p, long id, Collection<ReadyItem> into) {
        epochs[p]++;
        drop(p, into);
        failed[p] = false;
        delivered.set(p, id);
    }

    /** Every queued item goes to {@code into}; nothing is prefetched any more (the consumer stops). */
    void clear(Collection<ReadyItem> into) {
        for (int p = 0; p < ready.length; p++) {
            into.addAll(ready[p]);
            ready[p].clear();
            readyEvents[p] = 0;
            epochs[p]++;
        }
        prefetchedBytes = 0;
        prefetchedEvents = 0;
        signals.spaceFreed();
    }

    private void drop(int p, Collection<ReadyItem> into) {
        for (ReadyItem o : ready[p]) {
            if (o instanceof EventImpl e) {
                prefetchedBytes -= e.bytes();
                prefetchedEvents--;
            }
            into.add(o);
        }
        ready[p].clear();
        readyEvents[p] = 0;
        signals.spaceFreed();
    }

    /**
     * Appends a prepared batch of partition {@code p}.
     *
     * @param events how many of {@code items} are events
     * @param bytes their bytes
     * @return false if the partition is not assigned (then nothing was queued: the caller releases the items)
     */
    boolean add(int p, Collection<ReadyItem> items, int events, long bytes) {
        if (!assigned(p)) {
            return false;
        }
        ReadyItem last = null;
        for (ReadyItem o : items) {
            ready[p].add(o);
            last = o;
        }
        readyEvents[p] += events;
        prefetchedEvents += events;
        prefetchedBytes += bytes;
        if (last instanceof ReadyMarker m && m.sticky()) {
            failed[p] = true;
        }
        return true;
    }

    /** Stops partition {@code p} with a sticky failure after what is queued. */
    void fail(int p, ReadyMarker m) {
        ready[p].add(m);
        failed[p] = true;
    }

    /**
     * @param rewinding whether the fetch thread must re-read the partition before it goes on
     * @return whether partition {@code p} should be paused now (remembered: taking an item below the threshold then
     *     signals {@link Signals#belowThreshold})
     */
    boolean wantPause(int p, boolean rewinding) {
        boolean want = failed[p] || readyEvents[p] >= pauseThreshold || rewinding;
        pausedShadow[p] = want;
        return want;
    }

    long prefetchedBytes() {
        return prefetchedBytes;
    }

    long prefetchedEvents() {
        return prefetchedEvents;
    }

    /** @return the ready events of partition {@code p} (markers not counted) */
    long readyEvents(int p) {
        return readyEvents[p];
    }

    /**
     * Takes the next ready item round robin: an event, or a marker whose error the pull fails with (a sticky failure
     * is left in place, a lost range is taken); skipped events are passed over, moving their partition's position.
     *
     * @return the item, or null if no assigned partition has one
     */
    ReadyItem takeNext() {
        int[] ps = parts;
        int n = ps.length;
        int at = cursor < n ? cursor - 1 : -1;
        for (int k = 0; k < n; k++) {
            if (++at == n) { // round robin without a division per take
                at = 0;
            }
            int i = ps[at];
            ReadyItem o = ready[i].peek();
            while (o instanceof ReadyMarker m && m.kind == ReadyMarker.Kind.SKIPPED) {
                ready[i].poll(); // a skipped event: the position moves past it, no pull sees it
                delivered.set(i, m.nextId);
                o = ready[i].peek();
            }
            if (o == null) {
                continue;
            }
            cursor = at + 1 == n ? 0 : at + 1;
            if (o instanceof ReadyMarker m) {
                if (!m.sticky()) { // a lost range: reported to this pull only
                    ready[i].poll();
                    delivered.set(i, m.nextId);
                }
                return m;
            }
            ready[i].poll();
            EventImpl e = (EventImpl) o;
            readyEvents[i]--;
            prefetchedEvents--;
            prefetchedBytes -= e.bytes();
            delivered.setRelease(e.partition(), e.id() + 1); // under the lock: no full fence per event
            signals.spaceFreed();
            if (pausedShadow[i] && !failed[i] && readyEvents[i] < pauseThreshold) {
                pausedShadow[i] = false;
                signals.belowThreshold(i);
            }
            return e;
        }
        return null;
    }

    /**
     * @return the epoch of the partition of {@code item}, a ready item just taken: read it under the same lock as
     *     {@link #takeNext}, to put the item back later with {@link #putBack} (0 for a sticky marker)
     */
    long epoch(ReadyItem item) {
        int p = item.partition();
        return p < 0 ? 0 : epochs[p];
    }

    /**
     * Puts an item taken by {@link #takeNext} back at the head of its queue (the pull it was for was cancelled), unless
     * its partition's queue was reset since it was taken: a seek (the item is from before it), the partition leaving
     * (its next owner reads it again) or arriving anew, or the consumer stopping. A sticky marker was never taken.
     *
     * @param epoch the partition's {@link #epoch} when the item was taken
     * @return false if the item was not queued again: the caller releases it (its data goes back to the allocator)
     */
    boolean putBack(ReadyItem item, long epoch) {
        if (item instanceof ReadyMarker m && m.sticky()) {
            return true; // still at the head of its queue
        }
        int i = item.partition();
        if (!assigned(i) || epochs[i] != epoch) {
            return false;
        }
        if (item instanceof ReadyMarker m) {
            ready[i].addFirst(m);
            delivered.set(i, m.id);
            return true;
        }
        EventImpl e = (EventImpl) item;
        ready[i].addFirst(e);
        readyEvents[i]++;
        prefetchedEvents++;
        prefetchedBytes += e.bytes();
        delivered.set(i, e.id());
        return true;
    }
}
