package dev.diaspora.stream.tck;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The producer of a fault test: a thread that pushes events {@code 0, 1, 2, ...} round-robin over a topic's
 * partitions (event {@code i} has the metadata {@code {"i": i}} and two data bytes, {@code i} and {@code i >> 8}),
 * pausing briefly every few pushes so that a fault lands mid-run, and records what became of each push: the
 * {@code "partition:id"} of every push whose future completed, with its event number, and the failures. What a fault
 * test then checks is that every completed push is in the topic once, with its content.
 *
 * <pre>{@code
 * try (PushLoop loop = PushLoop.start(topic, 2, 1500, "test-fault-producer")) {
 *     loop.awaitPushed(500, Duration.ofSeconds(30));
 *     server.kill(); server.restart();
 *     loop.markFault();
 *     loop.awaitEnd(Duration.ofSeconds(90));
 *     // loop.completed(), loop.failures(), loop.completedAfterMark()
 * }
 * }</pre>
 *
 * <p>Ownership: the loop owns its producer (closed when the loop ends) but not the topic. Thread safety: every method
 * may be called from any thread; the maps and lists it returns are live and thread-safe.
 */
public final class PushLoop implements AutoCloseable {
    /** Pushes between two pauses. */
    private static final int PAUSE_EVERY = 20;
    /** How long a pause lasts: paces the pushes so that a fault lands mid-run (not a synchronisation). */
    private static final long PAUSE_MS = 20;

    private final TopicHandle topic;
    private final int partitions;
    private final int limit;
    private final Map<String, Integer> completed = new ConcurrentHashMap<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<String> closeErrors = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger pushed = new AtomicInteger();
    private final AtomicInteger completions = new AtomicInteger();
    private final AtomicBoolean marked = new AtomicBoolean();
    private final AtomicInteger afterMark = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private int settled; // pushes whose future completed or failed, guarded by this

    private PushLoop(TopicHandle topic, int partitions, int limit, String threadName) {
        this.topic = topic;
        this.partitions = partitions;
        this.limit = limit;
        this.thread = new Thread(this::run, threadName);
    }

    /**
     * Starts pushing.
     *
     * @param topic the topic (its producer is opened by the loop)
     * @param partitions how many partitions to spread the events over (event {@code i} goes to {@code i % partitions})
     * @param limit how many events to push, or {@code -1} to push until {@link #stop()}
     * @param threadName the loop thread's name
     * @return the running loop
     */
    public static PushLoop start(TopicHandle topic, int partitions, int limit, String threadName) {
        PushLoop loop = new PushLoop(topic, partitions, limit, threadName);
        loop.thread.start();
        return loop;
    }

    private void run() {
        try (Producer producer = topic.producer()) {
            for (int i = 0; (limit < 0 || i < limit) && !stop.get(); i++) {
                int n = i;
                int p = i % partitions;
                producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(new byte[] {(byte) i, (byte) (i >> 8)}), p)
                        .whenComplete((id, err) -> {
                            if (err != null) {
                                failures.add(n + ": " + err);
                            } else {
                                completed.put(p + ":" + id, n);
                                completions.incrementAndGet();
                                if (marked.get()) {
                                    afterMark.incrementAndGet();
                                }
                            }
                            settled();
                        });
                pushed.incrementAndGet();
                if (i % PAUSE_EVERY == 0) {
                    Thread.sleep(PAUSE_MS);
                }
            }
            try {
                producer.flush().get(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                closeErrors.add("flush: " + e); // pushes failed during the fault: only completed ones count
            }
        } catch (Exception e) {
            closeErrors.add("producer: " + e); // close may report the failures of pushes made during the fault
        }
    }

    private synchronized void settled() {
        settled++;
        notifyAll();
    }

    /** @return how many pushes were made so far */
    public int pushed() {
        return pushed.get();
    }

    /**
     * @return how many push futures completed (live); can exceed {@code completed().size()} when a server lost
     *     completed events and gave their ids again (a failover under asynchronous replication)
     */
    public int completedCount() {
        return completions.get();
    }

    /** @return {@code "partition:id"} to event number of every push whose future completed (live) */
    public Map<String, Integer> completed() {
        return completed;
    }

    /** @return {@code "eventNumber: error"} of every push whose future failed (live) */
    public List<String> failures() {
        return failures;
    }

    /** @return what the final flush or the producer's close reported, if anything (live) */
    public List<String> closeErrors() {
        return closeErrors;
    }

    /** Marks the end of the fault: completions from now on are counted by {@link #completedAfterMark()}. */
    public void markFault() {
        marked.set(true);
    }

    /** @return how many pushes completed after {@link #markFault()} (0 means the fault was not exercised) */
    public int completedAfterMark() {
        return afterMark.get();
    }

    /**
     * Waits until at least {@code n} pushes were made, or {@code timeout} passed.
     *
     * @return whether {@code n} were made
     */
    public boolean awaitPushed(int n, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (pushed.get() < n && thread.isAlive() && System.nanoTime() - until < 0) {
            Thread.sleep(10);
        }
        return pushed.get() >= n;
    }

    /** Asks the loop to stop pushing (it then flushes and closes its producer). */
    public void stop() {
        stop.set(true);
    }

    /**
     * Waits for the loop to end (after its limit or {@link #stop()}, and the final flush) and for the future of every
     * push to have completed or failed (a flush that fails because some pushes failed may return before the others
     * are settled).
     *
     * @return whether all of it happened within {@code timeout}
     */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        thread.join(Math.max(1, timeout.toMillis()));
        if (thread.isAlive()) {
            return false;
        }
        synchronized (this) {
            while (settled < pushed.get()) {
                long left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
        }
        return true;
    }

    /**
     * Reads a topic written by a push loop from the start with a fresh consumer name, until a poll of two seconds
     * finds nothing more.
     *
     * @return {@code "partition:id"} to event number of every event read
     * @throws AssertionError if an event is read twice
     */
    public static Map<String, Integer> readBack(TopicHandle topic, String consumerName) {
        Map<String, Integer> consumed = new TreeMap<>();
        try (Consumer consumer = topic.consumer(ConsumerOptions.named(consumerName))) {
            while (true) {
                Optional<Event> e = consumer.poll(Duration.ofSeconds(2));
                if (e.isEmpty()) {
                    return consumed;
                }
                Event ev = e.get();
                Integer before = consumed.put(ev.partition() + ":" + ev.id(), ev.metadata().json().get("i").asInt());
                if (before != null) {
                    throw new AssertionError("event " + ev.partition() + ":" + ev.id() + " read twice");
                }
            }
        }
    }

    /** Stops the loop and waits up to two minutes for it to end. */
    @Override
    public void close() throws InterruptedException {
        stop();
        awaitEnd(Duration.ofMinutes(2));
    }
}
