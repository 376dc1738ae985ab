package dev.diaspora.stream.spi;

import dev.diaspora.stream.PartitionBounds;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A {@link LocalTopic} that forwards every call to another one: the base of a per-session view of a topic that
 * changes how it reads ({@link #read}, {@link #readData}) and keeps the rest, for example a view that keeps the next
 * read in flight or that brings data along with the records. Subclasses override what they change.
 *
 * <p>Thread safety: as the delegate's; this class holds no state besides the delegate. Ownership: the view does not
 * own the delegate (closing a session does not close the topic).
 */
public abstract class ForwardingLocalTopic implements LocalTopic {
    /** The topic every call not overridden goes to. */
    protected final LocalTopic delegate;

    /** @param delegate the topic every call not overridden goes to */
    protected ForwardingLocalTopic(LocalTopic delegate) {
        this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public int numPartitions() {
        return delegate.numPartitions();
    }

    @Override
    public PartitionBounds bounds(int p) {
        return delegate.bounds(p);
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        return delegate.read(p, fromId, maxEvents, maxBytes);
    }

    @Override
    public long idForTime(int p, Instant time) {
        return delegate.idForTime(p, time);
    }

    @Override
    public void readData(List<DataRequest> requests) {
        delegate.readData(requests);
    }

    @Override
    public Map<Integer, Long> committed(String name) {
        return delegate.committed(name);
    }

    @Override
    public void commit(String name, Map<Integer, Long> positions) {
        delegate.commit(name, positions);
    }

    @Override
    public AutoCloseable tryLease(String name, int p) {
        return delegate.tryLease(name, p);
    }

    @Override
    public ChangeNotifier notifier() {
        return delegate.notifier();
    }

    @Override
    public GroupMembership groups() {
        return delegate.groups();
    }
}
