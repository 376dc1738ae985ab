package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.internal.metrics.LatencyHistogram;
import dev.diaspora.stream.spi.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands ready events to the application's pulls: a pull or poll takes a ready event at once when no earlier pull is
 * waiting, and otherwise waits in line until the fetch thread (or a later pull) pairs it with the next event. One
 * deliverer at a time, so that a cancelled pull puts its event back before any later pull takes one and partition
 * order holds. Counts what it delivers and how long pulls waited for it. Not API.
 *
 * <p>Thread safety: thread-safe; the queues are read and changed under the consumer's lock, which this class takes.
 * The pulls themselves are confined to one application thread at a time by the consumer.
 */
final class PullDeliverer {
    /** A waiting pull, with when it started. */
    private static final class Waiting extends CompletableFuture<Event> {
        final long since;
        final boolean poll; // the engine's own future of a waiting poll, never handed to the application
        final boolean raw; // takes a pooled event itself, not a kept copy (drain: recycles it after its processor)

        Waiting(long since, boolean poll, boolean raw) {
            this.since = since;
            this.poll = poll;
            this.raw = raw;
        }
    }

    private final ReentrantLock lock;
    private final Clock clock;
    private final ReadyQueues queues;
    private final java.util.function.Consumer<ReadyItem> release;
    private final EventRecycler recycler; // null unless recycleEvents: events outside a processor call are copies
    private final ArrayDeque<Waiting> pending = new ArrayDeque<>(); // guarded by lock
    private boolean delivering; // guarded by lock
    private boolean unsubscribed; // guarded by lock
    /** Set when the session reports the topic deleted (or replaced): every later pull fails with it. */
    private volatile DiasporaException topicGone;
    private final DeliveryCounters counters = new DeliveryCounters(); // guarded by lock
    // drain's tally of the events it took ready, added to the counters when it returns (pull thread only)
    private int drainedEvents;
    private long drainedBytes;

    /**
     * @param release gives back the data of an item that a cancelled pull could not put back (its partition was
     *     moved, left or the consumer stopped since it was taken); called outside the lock
     * @param recycler the pool of a consumer opened with {@code recycleEvents}, or null: pulls and polls then hand
     *     out kept copies, and {@link #drain} gives each event back after its processor returns
     * @param clock the consumer's clock: how long pulls wait is measured on it
     */
    PullDeliverer(ReentrantLock lock, ReadyQueues queues, java.util.function.Consumer<ReadyItem> release,
            EventRecycler recycler, Clock clock) {
        this.lock = lock;
        this.recycler = recycler;
        this.clock = clock;
        this.queues = queues;
        this.release = release;
    }

    /** Consumer.pull: completes with the next event (at once if one is ready). */
    CompletableFuture<Event> pull() {
        Waiting f;
        lock.lock();
        try {
            if (unsubscribed) {
                return CompletableFuture.completedFuture(EventImpl.NO_MORE);
            }
            if (topicGone != null) {
                return CompletableFuture.failedFuture(topicGone);
            }
            ReadyItem o = takeIfNoneWaits();
            if (o instanceof ReadyMarker m) {
                return CompletableFuture.failedFuture(m.error);
            } else if (o instanceof EventImpl e) {
                return CompletableFuture.completedFuture(handOut(counted(e, 0)));
            }
            f = new Waiting(clock.nanoTime(), false, false);
            pending.add(f);
        } finally {
            lock.unlock();
        }
        deliver();
        return f;
    }

    /** Consumer.poll: the next event, waiting up to {@code timeout} for one. */
    Optional<Event> poll(Duration timeout) {
        return poll(timeout, false);
    }

    /** @param raw hand out a pooled event itself (drain recycles it), not a kept copy */
    private Optional<Event> poll(Duration timeout, boolean raw) {
        Waiting f;
        lock.lock();
        try {
            if (unsubscribed) {
                return Optional.of(EventImpl.NO_MORE);
            }
            if (topicGone != null) {
                throw topicGone;
            }
            ReadyItem o = takeIfNoneWaits();
            if (o instanceof ReadyMarker m) {
                throw m.error;
            } else if (o instanceof EventImpl e) {
                return Optional.of(raw ? counted(e, 0) : handOut(counted(e, 0)));
            }
            if (timeout.isZero() || timeout.isNegative()) {
                return Optional.empty();
            }
            f = new Waiting(clock.nanoTime(), true, raw);
            pending.add(f);
        } finally {
            lock.unlock();
        }
        deliver();
        try {
            return Optional.of(f.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            if (f.cancel(false)) {
                forget(f);
                return Optional.empty();
            }
            return Optional.of(joinUnwrapped(f));
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (InterruptedException e) {
            if (f.cancel(false)) {
                forget(f);
                throw new InterruptException("poll", e);
            }
            Thread.currentThread().interrupt();
            return Optional.of(joinUnwrapped(f));
        }
    }

    /**
     * Consumer.poll(EventProcessor, int, Duration): hands ready events to {@code processor} outside the lock, taking
     * the lock once per event and allocating nothing per event; only a wait for the first event goes through
     * {@link #poll(Duration)}. The events taken ready are added to the delivery counters when the call returns (one
     * update per call, not per event).
     */
    int drain(EventProcessor processor, int maxEvents, Duration timeout) {
        int outerEvents = drainedEvents; // a processor may batch-poll again: keep the outer call's tally
        long outerBytes = drainedBytes;
        drainedEvents = 0;
        drainedBytes = 0;
        try {
            return drainEvents(processor, maxEvents, timeout);
        } finally {
            if (drainedEvents > 0) { // counted together when the call ends: no lock or atomic update per event
                lock.lock();
                try {
                    counters.countedReady(drainedEvents, drainedBytes);
                } finally {
                    lock.unlock();
                }
            }
            drainedEvents = outerEvents;
            drainedBytes = outerBytes;
        }
    }

    private int drainEvents(EventProcessor processor, int maxEvents, Duration timeout) {
        int n = 0;
        while (n < maxEvents) {
            ReadyItem o;
            lock.lock();
            try {
                if (unsubscribed) {
                    return n == 0 ? -1 : n;
                }
                if (topicGone != null) {
                    if (n == 0) {
                        throw topicGone;
                    }
                    return n;
                }
                o = takeIfNoneWaits();
                if (o instanceof ReadyMarker m) {
                    if (n == 0) {
                        throw m.error;
                    }
                    // reported by the next call, after the events handed over in this one (same lock hold: kept)
                    queues.putBack(m, queues.epoch(m));
                    return n;
                }
            } finally {
                lock.unlock();
            }
            EventImpl e;
            if (o != null) {
                e = (EventImpl) o;
                drainedEvents++;
                drainedBytes += e.data().size();
            } else if (n > 0) {
                return n; // never waits once events were handed over
            } else {
                Optional<Event> first = poll(timeout, true);
                if (first.isEmpty()) {
                    return 0;
                }
                if (first.get().isNoMoreEvents()) {
                    return -1;
                }
                e = (EventImpl) first.get();
            }
            n++;
            try {
                processor.process(e);
            } catch (StopEventProcessor s) {
                return n;
            } finally {
                if (recycler != null) {
                    recycler.recycle(e); // valid only during the call
                }
            }
        }
        return n;
    }

    /**
     * Pairs waiting pulls with ready items; returns at once if another thread is handing a {@code pull()} future its
     * item (it pairs the rest when it is done).
     *
     * <p>A waiting {@code poll} is completed under the lock (its future is the engine's own: no application code runs
     * on completion), and an item a cancelled poll did not take goes back under the same lock hold, so no other
     * deliverer needs to stand aside meanwhile: once a waiting poll has its event, the next poll of the thread takes a
     * ready event at once, instead of waiting behind a deliverer that has not yet let go (a wake-up per event while a
     * batch is handed over). A {@code pull()} future runs the application's callbacks when completed, so it is
     * completed outside the lock, with {@link #delivering} set until its item is taken or put back.
     */
    void deliver() {
        while (true) {
            Waiting f;
            ReadyItem item;
            long epoch;
            EventImpl recycled = null; // a pooled event a poll got a kept copy of: recycled outside the lock
            lock.lock();
            try {
                if (delivering) {
                    return;
                }
                while ((f = pending.peek()) != null && f.isDone()) {
                    pending.poll();
                }
                item = f == null ? null : queues.takeNext();
                if (item == null) {
                    return;
                }
                pending.poll();
                epoch = queues.epoch(item); // a seek or rebalance before a put-back makes the item stale
                if (f.poll) {
                    recycled = completePoll(f, item, epoch);
                    f = null;
                } else {
                    delivering = true;
                    if (item instanceof EventImpl e) { // counted before its future completes (completePull)
                        counters.counted(e.data().size(), clock.nanoTime() - f.since);
                    }
                }
            } finally {
                lock.unlock();
            }
            if (recycled != null) {
                recycler.recycle(recycled);
            }
            if (f != null) {
                completePull(f, item, epoch);
            }
        }
    }

    /**
     * Hands {@code item} to a waiting poll; under the lock. Puts it back at once if the poll was cancelled.
     *
     * @return the pooled original of a kept copy handed out, to recycle outside the lock, or null
     */
    private EventImpl completePoll(Waiting f, ReadyItem item, long epoch) {
        if (item instanceof ReadyMarker m) {
            if (!f.completeExceptionally(m.error) && !m.sticky()) {
                queues.putBack(m, epoch); // same lock hold: the partition cannot have moved
            }
            return null;
        }
        EventImpl e = (EventImpl) item;
        Event out = e.pooled() && !f.raw ? e.keep() : e;
        long size = e.data().size(); // read first: once completed, a raw event may be recycled at any time
        if (!f.complete(out)) {
            queues.putBack(e, epoch);
            return null;
        }
        counters.counted(size, clock.nanoTime() - f.since);
        return out != e ? e : null;
    }

    /**
     * Hands {@code item} to a waiting {@code pull()} future outside the lock; puts it back if the pull was cancelled.
     * An event was counted when it was taken for the pull, under the lock, so that an application reading the metrics
     * as soon as it has the event sees it counted; a cancelled pull's event is taken back here.
     */
    private void completePull(Waiting f, ReadyItem item, long epoch) {
        boolean taken = false;
        long size = -1; // an event's data size, to take back if the pull does not take it
        try {
            if (item instanceof ReadyMarker m) {
                taken = f.completeExceptionally(m.error) || m.sticky();
            } else {
                EventImpl e = (EventImpl) item;
                size = e.data().size();
                // a copy when recycling: the original stays queued if the pull is not taken
                Event out = e.pooled() ? e.keep() : e;
                taken = f.complete(out);
                if (taken && out != e) {
                    recycler.recycle(e);
                }
            }
        } finally {
            boolean kept = true;
            lock.lock();
            try {
                delivering = false;
                if (!taken) { // the pull was cancelled meanwhile: the item goes back for the next one
                    kept = queues.putBack(item, epoch);
                    if (size >= 0) {
                        counters.uncounted(size);
                    }
                }
            } finally {
                lock.unlock();
            }
            if (!kept) {
                release.accept(item);
            }
        }
    }

    /** @return the event a pull or poll hands out: under recycling a kept copy, the pooled original recycled */
    private Event handOut(EventImpl e) {
        if (!e.pooled()) {
            return e;
        }
        Event copy = e.keep();
        recycler.recycle(e);
        return copy;
    }

    /** @return the next ready item if no pull waits before this one (they come first), else null. Holds lock. */
    private ReadyItem takeIfNoneWaits() {
        return delivering || !pending.isEmpty() ? null : queues.takeNext();
    }

    private EventImpl counted(EventImpl e, long waitedNanos) {
        counters.counted(e.data().size(), waitedNanos);
        return e;
    }

    /** @return whether a pull is waiting for an event */
    boolean waiting() {
        lock.lock();
        try {
            return !pending.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** A read failed: the first waiting pull (if any) fails with {@code error}. */
    void failFirst(DiasporaException error) {
        Waiting f;
        lock.lock();
        try {
            f = pending.poll();
        } finally {
            lock.unlock();
        }
        if (f != null) {
            f.completeExceptionally(error);
        }
    }

    /** The topic is gone: every waiting pull and every later one fails with {@code error}. */
    void topicGone(DiasporaException error) {
        List<Waiting> failed;
        lock.lock();
        try {
            topicGone = error;
            failed = new ArrayList<>(pending);
            pending.clear();
        } finally {
            lock.unlock();
        }
        for (Waiting f : failed) {
            f.completeExceptionally(error);
        }
    }

    /** @return the error every pull fails with since the topic went away, or null */
    DiasporaException topicGone() {
        return topicGone;
    }

    /**
     * Queues a prepared batch of partition {@code p} and delivers it to waiting pulls.
     *
     * @return false if it was not queued (the consumer stopped, or the partition left): the caller releases it
     */
    boolean offer(int p, BatchMaterializer.Prepared batch) {
        boolean waiters;
        lock.lock();
        try {
            if (unsubscribed || !queues.add(p, batch.items(), batch.events(), batch.bytes())) {
                return false;
            }
            // nobody waits: the next pull takes the items itself (a deliverer busy with a pull future looks again)
            waiters = !pending.isEmpty() && !delivering;
        } finally {
            lock.unlock();
        }
        if (waiters) {
            deliver();
        }
        return true;
    }

    /**
     * The consumer stops: waiting and later pulls complete with the end-of-stream sentinel, and the queued items go
     * to {@code dropped} (to release).
     */
    void stop(Collection<ReadyItem> dropped) {
        List<Waiting> waiting;
        lock.lock();
        try {
            unsubscribed = true;
            waiting = new ArrayList<>(pending);
            pending.clear();
            queues.clear(dropped);
        } finally {
            lock.unlock();
        }
        for (Waiting f : waiting) {
            f.complete(EventImpl.NO_MORE);
        }
    }

    long eventsDelivered() {
        lock.lock();
        try {
            return counters.events();
        } finally {
            lock.unlock();
        }
    }

    long bytesDelivered() {
        lock.lock();
        try {
            return counters.bytes();
        } finally {
            lock.unlock();
        }
    }

    /** @return how long pulls waited for their events (0 if ready at the call); {@link DeliveryCounters#pollLatency} */
    LatencyHistogram pollLatency() {
        lock.lock();
        try {
            return counters.pollLatency();
        } finally {
            lock.unlock();
        }
    }

    private void forget(Waiting f) {
        lock.lock();
        try {
            pending.remove(f);
        } finally {
            lock.unlock();
        }
    }

    private static Event joinUnwrapped(CompletableFuture<Event> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw unwrap(e.getCause());
        }
    }

    static RuntimeException unwrap(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        return new DiasporaException(String.valueOf(t), t);
    }
}
