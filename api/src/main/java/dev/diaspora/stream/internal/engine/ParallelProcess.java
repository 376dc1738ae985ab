package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventProcessor;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.StopEventProcessor;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.spi.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code Consumer.process} on a pool: one lane per partition keeps events of a partition in order on one task at a
 * time; partitions run in parallel. The number of events handed to lanes and not yet processed is bounded. The idle
 * timeout is measured on the consumer's {@link Clock}. Not API.
 */
final class ParallelProcess {
    private static final Duration SLICE = Duration.ofMillis(20);

    private final ConsumerImpl consumer;
    private final EventProcessor processor;
    private final ThreadPool pool;
    private final Clock clock;
    private final int maxOutstanding;
    private final Object lock = new Object();
    private final Map<Integer, Lane> lanes = new HashMap<>();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicReference<RuntimeException> error = new AtomicReference<>();
    private volatile boolean stop;
    private int outstanding; // guarded by lock

    private final class Lane implements Runnable {
        private final ArrayDeque<Event> queue = new ArrayDeque<>(); // guarded by lock
        private boolean scheduled; // guarded by lock

        @Override
        public void run() {
            while (true) {
                Event e;
                synchronized (lock) {
                    e = queue.poll();
                    if (e == null) {
                        scheduled = false;
                        return;
                    }
                }
                try {
                    if (!stop) {
                        processor.process(e);
                        processed.incrementAndGet();
                    }
                } catch (StopEventProcessor s) {
                    stop = true;
                } catch (RuntimeException ex) {
                    error.compareAndSet(null, ex);
                    stop = true;
                } catch (Error err) {
                    error.compareAndSet(null, new IllegalStateException("event processor failed", err));
                    stop = true;
                } finally {
                    synchronized (lock) {
                        outstanding--;
                        lock.notifyAll();
                    }
                }
            }
        }
    }

    ParallelProcess(ConsumerImpl consumer, EventProcessor processor, ThreadPool pool, Clock clock) {
        this.consumer = consumer;
        this.clock = clock;
        this.processor = processor;
        this.pool = pool;
        this.maxOutstanding = Math.max(16, pool.threadCount() * 64);
    }

    long run(Duration idleTimeout, long maxEvents) {
        long handed = 0;
        long idleSince = clock.nanoTime();
        try {
            while (!stop && handed < maxEvents) {
                synchronized (lock) {
                    while (outstanding >= maxOutstanding && !stop) {
                        lock.wait(100);
                    }
                }
                if (stop) {
                    break;
                }
                // poll in short slices so a stop raised on a lane ends the loop promptly, not after idleTimeout
                Optional<Event> e = consumer.pollPastLosses(idleTimeout.compareTo(SLICE) < 0 ? idleTimeout : SLICE);
                if (e.isEmpty()) {
                    if (clock.nanoTime() - idleSince >= idleTimeout.toNanos()) {
                        break;
                    }
                    continue;
                }
                idleSince = clock.nanoTime();
                if (e.get().isNoMoreEvents()) {
                    break;
                }
                handed++;
                Lane lane;
                boolean schedule;
                synchronized (lock) {
                    lane = lanes.computeIfAbsent(e.get().partition(), k -> new Lane());
                    lane.queue.add(e.get());
                    outstanding++;
                    schedule = !lane.scheduled;
                    lane.scheduled = true;
                }
                if (schedule) {
                    pool.pushWork(lane, ThreadPool.DEFAULT_PRIORITY);
                }
            }
            synchronized (lock) {
                while (outstanding > 0) {
                    lock.wait(100);
                }
            }
        } catch (InterruptedException ie) {
            throw new InterruptException("process", ie);
        }
        RuntimeException ex = error.get();
        if (ex != null) {
            throw ex;
        }
        return processed.get();
    }
}
