package dev.diaspora.stream.bench.groups;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.Event;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The surviving member of a failover measure: a consumer polled (and acknowledged) by its own thread, which notes when
 * the first event of the watched partitions arrives.
 *
 * <p>Thread safety: {@link #watch}, {@link #awaitFirst} and {@link #close} are called by one driving thread; the
 * consumer is polled only by the survivor's thread (other threads may read its {@code assignment()}). Owns the
 * consumer: {@link #close} closes it.
 */
final class Survivor implements AutoCloseable {
    /** How long any step of a measure may take before the program gives up. */
    static final long WAIT_MILLIS = 30_000;

    final Consumer consumer;
    private final Thread thread;
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile Set<Integer> watched = Set.of();
    private volatile long firstNanos; // 0 until an event of a watched partition came
    private volatile RuntimeException failure;

    Survivor(Consumer consumer, String name) {
        this.consumer = consumer;
        this.thread = new Thread(this::loop, "survivor-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (!stop.get()) {
                Optional<Event> o = consumer.poll(Duration.ofMillis(5));
                if (o.isPresent()) {
                    long now = System.nanoTime();
                    Event e = o.get();
                    if (firstNanos == 0 && watched.contains(e.partition())) {
                        firstNanos = now;
                    }
                    e.acknowledge();
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** Starts watching {@code partitions}: the next event of one of them is the one {@link #awaitFirst} reports. */
    void watch(Set<Integer> partitions) {
        firstNanos = 0;
        watched = Set.copyOf(partitions);
    }

    /** @return when ({@link System#nanoTime()}) the first event of the watched partitions arrived */
    long awaitFirst() throws InterruptedException {
        await(() -> firstNanos != 0 || failure != null, "an event of partitions " + watched + " at the survivor");
        if (failure != null) {
            throw failure;
        }
        return firstNanos;
    }

    /** Waits (1 ms steps) until {@code done}; throws {@link IllegalStateException} naming {@code what} after 30 s. */
    static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("not within " + WAIT_MILLIS + " ms: " + what);
            }
            Thread.sleep(1);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(10_000);
        consumer.close();
    }
}
