package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackPressureException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.spi.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The producer-wide memory bound: events and bytes pushed and not yet completed. Permits are taken in {@code push} on
 * the caller's thread (lock-free when there is room) and released when the event's outcome is known. Not API.
 *
 * <p>Hysteresis: a push blocked at the bound is woken only once a sixteenth of the bound (in events and in bytes) is
 * free again, or nothing is pending, not on every release. Drivers that complete events one by one (RECORD mode:
 * Kafka) would otherwise make the completing thread signal, and the pusher wake, take one permit and block again,
 * once per event. A blocked push also looks again every {@value #RECHECK_NANOS} ns, so it never waits for a wake-up
 * that does not come; the bound itself (what {@code tryAcquire} admits) is unchanged.
 */
final class PermitGate {
    /** A blocked push is woken once this fraction (1/n) of each bound is free. */
    static final int WAKE_FRACTION = 16;
    static final long RECHECK_NANOS = 10_000_000L;

    private final long maxEvents;
    private final long maxBytes;
    /** Release wakes a blocked push when at most this many events, and {@link #wakeBytes} bytes, stay pending. */
    private final long wakeEvents;
    private final long wakeBytes;
    private final long recheckNanos;
    private final AtomicLong wakeUps = new AtomicLong();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong blockedNanos = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private volatile int waiters; // read on release to skip the lock when nobody waits

    private final Clock clock;

    /** @param clock the producer's clock: maxBlock is measured on it */
    PermitGate(long maxEvents, long maxBytes, Clock clock) {
        this(maxEvents, maxBytes, RECHECK_NANOS, clock);
    }

    /**
     * {@code recheckNanos}: how often (in real time) a blocked push looks again without a wake-up (tests make it long);
     * a push blocked longer than maxBlock on {@code clock} fails at its next look
     */
    PermitGate(long maxEvents, long maxBytes, long recheckNanos, Clock clock) {
        this.clock = clock;
        this.recheckNanos = recheckNanos;
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        this.wakeEvents = maxEvents - Math.max(1, maxEvents / WAKE_FRACTION);
        this.wakeBytes = maxBytes - Math.max(1, maxBytes / WAKE_FRACTION);
    }

    /**
     * Takes one event and {@code n} bytes. An event larger than the byte bound passes when nothing else is pending.
     *
     * @throws BackPressureException when blocked longer than {@code maxBlockNanos}, at once with FAIL_FAST, or on a
     *     library pool thread (blocking one could deadlock the pool)
     */
    void acquire(long n, ProducerOptions.BackPressure policy, long maxBlockNanos) {
        if (tryAcquire(n)) {
            return;
        }
        if (policy == ProducerOptions.BackPressure.FAIL_FAST || PoolThread.current() || maxBlockNanos <= 0) {
            throw full(n, policy == ProducerOptions.BackPressure.FAIL_FAST ? "FAIL_FAST is set"
                    : PoolThread.current() ? "push was called on a library pool thread, which must not block"
                            : "maxBlock is zero");
        }
        long start = clock.nanoTime();
        long deadline = start + maxBlockNanos;
        lock.lock();
        waiters++;
        try {
            while (!tryAcquire(n)) {
                long left = deadline - clock.nanoTime();
                if (left <= 0) {
                    throw full(n, "it stayed full for " + TimeUnit.NANOSECONDS.toMillis(maxBlockNanos) + " ms");
                }
                released.awaitNanos(Math.min(left, recheckNanos));
            }
        } catch (InterruptedException e) {
            throw new InterruptException("push blocked at the producer's memory bound", e);
        } finally {
            waiters--;
            lock.unlock();
            blockedNanos.addAndGet(clock.nanoTime() - start);
        }
    }

    private boolean tryAcquire(long n) {
        long e = events.incrementAndGet();
        if (e > maxEvents) {
            events.decrementAndGet();
            return false;
        }
        long b = bytes.addAndGet(n);
        if (b > maxBytes && b != n) {
            bytes.addAndGet(-n);
            events.decrementAndGet();
            return false;
        }
        return true;
    }

    private BackPressureException full(long n, String why) {
        return new BackPressureException("Producer is at its memory bound (" + events.get() + " of " + maxEvents
                + " events, " + bytes.get() + " of " + maxBytes + " bytes pending; this event needs " + n
                + " bytes) and " + why + ". Slow down, flush, or raise maxPendingEvents/maxPendingBytes.");
    }

    void release(long eventsDone, long bytesDone) {
        long e = events.addAndGet(-eventsDone);
        long b = bytes.addAndGet(-bytesDone);
        if (waiters > 0 && (e <= 0 || e <= wakeEvents && b <= wakeBytes)) {
            wakeUps.incrementAndGet();
            lock.lock();
            try {
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** @return the events bound */
    long maxEvents() {
        return maxEvents;
    }

    /** @return the bytes bound */
    long maxBytes() {
        return maxBytes;
    }

    long pendingEvents() {
        return events.get();
    }

    long pendingBytes() {
        return bytes.get();
    }

    /** @return how often a release woke blocked pushes (tests) */
    long wakeUps() {
        return wakeUps.get();
    }

    /** @return the pushes blocked now (tests) */
    int waiters() {
        return waiters;
    }

    long blockedNanos() {
        return blockedNanos.get();
    }
}
