package dev.diaspora.stream.tck;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a consumer on its own thread until it has {@code expected} events, or no event arrives for a while, or a
 * deadline passes (the consumer thread of the C++ concurrent tests). Not API.
 */
final class BackgroundReader {
    private final Consumer consumer;
    private final int expected;
    private final long deadlineNanos;
    private final long idleNanos;
    private final boolean acknowledge;
    private final long delayPerEventMillis;
    private final List<Event> events = new ArrayList<>(); // guarded by this
    private final Thread thread;
    private volatile Throwable error;

    /**
     * @param budget the longest the reader runs
     * @param idle the reader also stops when no event arrives for this long
     */
    BackgroundReader(Consumer consumer, int expected, Duration budget, Duration idle, boolean acknowledge,
            long delayPerEventMillis) {
        this.consumer = consumer;
        this.expected = expected;
        this.deadlineNanos = System.nanoTime() + budget.toNanos();
        this.idleNanos = idle.toNanos();
        this.acknowledge = acknowledge;
        this.delayPerEventMillis = delayPerEventMillis;
        this.thread = new Thread(this::run, "tck-reader-" + consumer.name());
        thread.setDaemon(true);
    }

    BackgroundReader start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            long lastEvent = System.nanoTime();
            while (count() < expected && System.nanoTime() - deadlineNanos < 0
                    && System.nanoTime() - lastEvent < idleNanos) {
                Optional<Event> e = consumer.poll(Duration.ofMillis(100));
                if (e.isPresent() && !e.get().isNoMoreEvents()) {
                    lastEvent = System.nanoTime();
                    synchronized (this) {
                        events.add(e.get());
                    }
                    if (acknowledge) {
                        e.get().acknowledge();
                    }
                    if (delayPerEventMillis > 0) {
                        Thread.sleep(delayPerEventMillis);
                    }
                }
            }
        } catch (Throwable t) {
            error = t;
        }
    }

    private synchronized int count() {
        return events.size();
    }

    /** Waits for the reader to finish (its own deadline bounds it) and returns what it read. */
    List<Event> finish(Duration grace) throws InterruptedException {
        thread.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000) + grace.toMillis());
        if (thread.isAlive()) {
            throw new AssertionError("reader of consumer '" + consumer.name() + "' did not stop; blocked at "
                    + (thread.getStackTrace().length > 0 ? thread.getStackTrace()[0] : "?"));
        }
        if (error != null) {
            throw new AssertionError("reader of consumer '" + consumer.name() + "' failed: " + error, error);
        }
        synchronized (this) {
            return new ArrayList<>(events);
        }
    }
}
