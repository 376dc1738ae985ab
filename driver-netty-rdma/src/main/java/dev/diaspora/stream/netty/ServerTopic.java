package dev.diaspora.stream.netty;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A topic open in a {@link PartitionServer}: the files topic holding this server's partitions, shared by every
 * connection that opened it (reference-counted), and the notifier thread that tells subscribed handles when a
 * partition's end moves (tailing consumers wait for these pushes instead of polling).
 *
 * <p>Only handles that read are subscribed to the ends (SUBSCRIBE, or every handle of a version 1 connection): a
 * producer's handle gets no NOTIFY for its own appends. While no handle of the topic is subscribed, appends do not
 * wake the notifier thread at all: it looks at the partition count once a second, so that every open handle still
 * learns that partitions were added (a longer NOTIFY); a deletion is told to every handle at once.
 *
 * <p>Thread safety: thread-safe; {@code refs} is guarded by the server's topic registry.
 */
final class ServerTopic {
    private static final long IDLE_WAIT_NANOS = 1_000_000_000L;
    /** The notifier thread's pauses after failed rounds: 100 ms at first, doubling (jittered) up to 2 s. */
    static final Backoff NOTIFY_RETRY = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(2));
    private static final long IDLE_WAIT_MILLIS = IDLE_WAIT_NANOS / 1_000_000;

    final String name;
    final TopicBackend backend;
    final LocalTopic local;
    /** The stored components, including the placement entry. */
    final Metadata components;
    int refs; // guarded by the server's registry
    /** Set when the topic is deleted: every handle of this incarnation fails with TopicNotFoundException. */
    volatile boolean deleted;

    /** Every open handle: told of a deletion and of a grown partition count. */
    private final Set<Subscriber> opened = ConcurrentHashMap.newKeySet();
    /** The handles subscribed to their partitions' ends (a subset of {@link #opened}). */
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    /** The notifier thread waits on it while no handle is subscribed; {@link #subscribe} wakes it. */
    private final Object idle = new Object();
    /** (consumer name, partition) to the connection holding its lease: the fence of COMMIT. */
    private final Map<String, ServerConnection> leaseHolders = new ConcurrentHashMap<>();
    private final Thread notifierThread;
    private volatile boolean closed;
    /** Where the partitions' producer state lives: {@code <root>/producer-state/<topic>}. */
    private final Path producerState;
    private final Map<Integer, PartitionAppends> appends = new ConcurrentHashMap<>();
    private final BackgroundErrorHandler errors;
    private final Clock clock;

    record Subscriber(ServerConnection connection, int handle) {
    }

    /** @param errors told about failures of the notifier thread, which no request carries */
    ServerTopic(String name, TopicBackend backend, Path producerState, BackgroundErrorHandler errors) {
        this(name, backend, producerState, errors, Clock.system());
    }

    /** @param clock the clock of the notifier thread's pauses after a failed round (tests count them) */
    ServerTopic(String name, TopicBackend backend, Path producerState, BackgroundErrorHandler errors, Clock clock) {
        this.clock = clock;
        this.name = name;
        this.errors = errors;
        this.producerState = producerState;
        this.backend = backend;
        this.local = (LocalTopic) backend;
        if (backend instanceof dev.diaspora.stream.files.DirectAppends d) {
            // the server owns its root: keep each partition's file lock between appends, released when another
            // process (a files-driver user of the same directory) waits for it or the partition is idle
            d.exclusiveWriter(true);
        }
        this.components = backend.components();
        this.notifierThread = new Thread(this::notifyLoop, "partition-server-notify-" + name);
        notifierThread.setDaemon(true);
        notifierThread.start();
    }

    /**
     * @return the appends of local partition {@code p}: one batch at a time, deduplicated by producer id and sequence
     *     (its producer state is read from its file the first time)
     */
    PartitionAppends appends(int p) {
        PartitionAppends a = appends.get(p);
        if (a != null) {
            return a;
        }
        synchronized (appends) {
            return appends.computeIfAbsent(p, k -> new PartitionAppends(local, k,
                    producerState.resolve(Integer.toString(k)), System::currentTimeMillis));
        }
    }

    int numPartitions() {
        return local.numPartitions();
    }

    long[] ends() {
        long[] e = new long[local.numPartitions()];
        for (int p = 0; p < e.length; p++) {
            e[p] = local.bounds(p).next();
        }
        return e;
    }

    /**
     * Takes the lease of ({@code consumer}, {@code p}) for {@code holder}, recording it as the only connection that
     * may store positions of that partition while it holds the lease.
     *
     * @return the lease, to close when released (the connection's own release, or its close), or null if held
     */
    AutoCloseable lease(String consumer, int p, ServerConnection holder) {
        AutoCloseable lease = local.tryLease(consumer, p);
        if (lease == null) {
            return null;
        }
        String key = consumer + '\0' + p;
        leaseHolders.put(key, holder);
        return () -> {
            leaseHolders.remove(key, holder);
            lease.close();
        };
    }

    /**
     * Refuses positions of partitions whose lease another connection holds: a member that lost a partition (its
     * connection dropped and another member took it, or it was told to give it up) never stores a position for it.
     * Positions of partitions nobody leases are accepted (tools, static consumers between sessions).
     */
    void checkCommit(String consumer, Set<Integer> partitions, ServerConnection from) {
        for (int p : partitions) {
            ServerConnection holder = leaseHolders.get(consumer + '\0' + p);
            if (holder != null && holder != from) {
                throw new ConsumerConflictException("Partition " + p + " of topic '" + name + "' on this server is"
                        + " leased by another session of consumer '" + consumer + "'; this one may not store its"
                        + " position: it lost the partition, and its acknowledgements after the last stored position"
                        + " are delivered again by the new reader");
            }
        }
    }

    /** Records an open handle: it is told of a deletion and of added partitions, not of its ends moving. */
    void opened(Subscriber s) {
        opened.add(s);
    }

    /**
     * Subscribes an open handle to its partitions' ends: from now on each move is pushed (NOTIFY). The caller
     * answers with {@link #ends()} read after this call, so that no move falls between.
     */
    void subscribe(Subscriber s) {
        opened.add(s);
        if (subscribers.add(s)) {
            synchronized (idle) {
                idle.notifyAll(); // the notifier thread follows the ends from now on
            }
        }
    }

    /** Forgets a handle (closed, or its connection closed). */
    void unsubscribe(Subscriber s) {
        subscribers.remove(s);
        opened.remove(s);
    }

    private void notifyLoop() {
        ChangeNotifier notifier = local.notifier();
        Backoff.Retry retry = NOTIFY_RETRY.start(clock);
        long[] last = null; // the ends last pushed to the subscribed handles
        int count = -1; // the partition count every open handle was told last (OPEN_TOPIC); -1 until first read
        while (!closed) {
            try {
                if (subscribers.isEmpty()) { // nobody reads: appends do not wake this thread
                    int n = local.numPartitions();
                    if (count >= 0 && n != count) {
                        push(opened, ends());
                    }
                    count = n;
                    if (retry.retries() != 0) {
                        retry.reset();
                    }
                    synchronized (idle) {
                        if (subscribers.isEmpty() && !closed) {
                            idle.wait(IDLE_WAIT_MILLIS);
                        }
                    }
                    continue;
                }
                long v = notifier.version();
                long[] now = ends();
                if (!Arrays.equals(now, last)) {
                    last = now;
                    boolean grew = count >= 0 && now.length != count; // every open handle learns of added partitions
                    count = now.length;
                    push(grew ? opened : subscribers, now);
                }
                if (retry.retries() != 0) {
                    retry.reset(); // a good round: the next failure pauses the shortest time again
                }
                notifier.await(v, IDLE_WAIT_NANOS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!closed) {
                    errors.onError("topic '" + name + "': notifier round failed", e);
                    try {
                        retry.pause(); // unbounded: always pauses
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    private static void push(Set<Subscriber> to, long[] ends) {
        for (Subscriber s : to) {
            s.connection().pushEnds(s.handle(), ends);
        }
    }

    /** Marks this incarnation deleted and tells every open handle (a NOTIFY without ends). */
    void deleted() {
        deleted = true;
        push(opened, new long[0]);
    }

    void close() {
        closed = true;
        local.notifier().wakeAll(); // never interrupt: an interrupt inside FileChannel I/O closes the channel
        synchronized (idle) {
            idle.notifyAll();
        }
        try {
            notifierThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (appends) {
            appends.values().forEach(PartitionAppends::close);
            appends.clear();
        }
        backend.close();
    }
}
