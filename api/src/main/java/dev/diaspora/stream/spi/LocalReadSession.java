package dev.diaspora.stream.spi;

import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.StartAt;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The read session of every log-structured driver, built on {@link LocalTopic}: leases the partitions, resolves start
 * positions (stored position, else {@code startAt}; a stored position below the first retained id resumes at the
 * first), serves partitions with records round robin, and tails through the topic's {@link ChangeNotifier}.
 *
 * <p>Thread safety: confined to one thread, except {@link #wakeup()}.
 */
public class LocalReadSession implements ReadSession {
    private final LocalTopic topic;
    private final String name;
    private final int[] partitions;
    private final long[] positions; // indexed like partitions
    private final boolean[] paused;
    private final List<AutoCloseable> leases = new ArrayList<>();
    private final Set<Integer> assignment;
    private volatile boolean woken;
    private int next; // round-robin cursor into partitions
    private boolean closed;

    /**
     * Leases the partitions and resolves their positions.
     *
     * @throws ConsumerConflictException if explicit targets are held by another live session of the name
     */
    public LocalReadSession(LocalTopic topic, SessionConfig config) {
        this.topic = topic;
        this.name = config.consumerName();
        List<Integer> got = new ArrayList<>();
        try {
            if (config.targets() != null) {
                for (int p : config.targets()) {
                    AutoCloseable lease = topic.tryLease(name, p);
                    if (lease == null) {
                        throw new ConsumerConflictException("Partition " + p + " is already read by another live consumer"
                                + " named '" + name + "'; each partition goes to one consumer of a name at a time. Use"
                                + " other targets, another name, or close the other consumer.");
                    }
                    leases.add(lease);
                    got.add(p);
                }
            } else {
                for (int p = 0; p < topic.numPartitions(); p++) {
                    AutoCloseable lease = topic.tryLease(name, p);
                    if (lease != null) {
                        leases.add(lease);
                        got.add(p);
                    }
                }
            }
        } catch (RuntimeException e) {
            releaseLeases();
            throw e;
        }
        partitions = got.stream().mapToInt(Integer::intValue).toArray();
        positions = new long[partitions.length];
        paused = new boolean[partitions.length];
        try {
            Map<Integer, Long> stored = topic.committed(name); // damaged positions fail the open: never a reset
            for (int i = 0; i < partitions.length; i++) {
                Long s = stored.get(partitions[i]);
                positions[i] = s != null ? clamp(partitions[i], s) : resolve(partitions[i], config.startAt());
            }
        } catch (RuntimeException e) {
            releaseLeases(); // a failed open holds nothing: the next attempt (after a reset) gets the partitions
            throw e;
        }
        Set<Integer> a = new LinkedHashSet<>();
        for (int p : partitions) {
            a.add(p);
        }
        assignment = Collections.unmodifiableSet(a);
    }

    private long clamp(int p, long pos) {
        PartitionBounds b = topic.bounds(p);
        return Math.max(pos, b.first());
    }

    private long resolve(int p, StartAt at) {
        PartitionBounds b = topic.bounds(p);
        switch (at.kind()) {
            case EARLIEST:
                return b.first();
            case LATEST:
                return b.next();
            case ID:
                return Math.max(at.id(), b.first());
            case TIME:
                return Math.max(topic.idForTime(p, at.time()), b.first());
            default:
                throw new IllegalStateException(at.toString());
        }
    }

    private int indexOf(int p) {
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == p) {
                return i;
            }
        }
        throw new IllegalArgumentException("partition " + p + " is not assigned to consumer '" + name + "' (assigned: "
                + assignment + ")");
    }

    @Override
    public Set<Integer> assignment() {
        return assignment;
    }

    @Override
    public long position(int p) {
        return positions[indexOf(p)];
    }

    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        ChangeNotifier notifier = topic.notifier();
        while (true) {
            long version = notifier.version();
            for (int k = 0; k < partitions.length; k++) {
                int i = (next + k) % partitions.length;
                if (paused[i]) {
                    continue;
                }
                IncomingBatch b = topic.read(partitions[i], positions[i], maxEvents, maxBytes);
                if (b != null && (b.count() > 0 || b.error() != null)) {
                    // an unreadable record stays the position: the engine pauses the partition until a seek;
                    // a lost range is passed: the engine reports it once and the next read returns what follows
                    positions[i] = b.error() instanceof EventsLostException
                            ? ((EventsLostException) b.error()).lastLostId() + 1 : b.firstId() + b.count();
                    next = (i + 1) % partitions.length;
                    return b;
                }
            }
            if (woken) {
                woken = false;
                return null;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            try {
                notifier.await(version, left);
            } catch (InterruptedException e) {
                throw new InterruptException("waiting for new events", e);
            }
        }
    }

    @Override
    public void readData(List<DataRequest> requests) {
        topic.readData(requests);
    }

    @Override
    public void commit(Map<Integer, Long> positions) {
        if (!positions.isEmpty()) {
            topic.commit(name, new TreeMap<>(positions));
        }
    }

    @Override
    public long seek(int p, StartAt position) {
        int i = indexOf(p);
        positions[i] = resolve(p, position);
        return positions[i];
    }

    @Override
    public void pause(int p) {
        paused[indexOf(p)] = true;
    }

    @Override
    public void resume(int p) {
        paused[indexOf(p)] = false;
    }

    @Override
    public void wakeup() {
        woken = true;
        topic.notifier().wakeAll();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseLeases();
    }

    private void releaseLeases() {
        DiasporaException first = null;
        for (AutoCloseable l : leases) {
            try {
                l.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new DiasporaException("cannot release the lease of consumer '" + name + "'", e);
                }
            }
        }
        leases.clear();
        if (first != null) {
            throw first;
        }
    }
}
