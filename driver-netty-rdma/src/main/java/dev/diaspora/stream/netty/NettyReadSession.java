package dev.diaspora.stream.netty;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.InterruptException;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.SessionConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link LocalReadSession} on a {@link NettyTopic} that rides over a lost connection: it reads the data of events it
 * has announced again after a reconnect, and fails its polls with a
 * {@link dev.diaspora.stream.ConsumerConflictException} once one of its leases is lost (a reconnect re-takes them,
 * but another consumer of the same name may have taken a partition while the connection was down), if it has explicit
 * targets; a group member (no targets) gives the lost partition up and goes on with its group's assignment. Its reads
 * go through a {@link ReadAhead}, which keeps the next READ of a partition in flight while the engine fetches the data
 * of the batch before.
 *
 * <p>Thread safety: confined to one thread, except {@link #wakeup()}.
 */
final class NettyReadSession extends LocalReadSession {
    private static final long RETRY_PAUSE_MILLIS = 100;
    /**
     * How long a data read is retried here (a blip); after that the retriable error goes to the engine, which rewinds
     * the partition and reads it again on a later fetch, while the other partitions go on.
     */
    private static final long RETRY_WINDOW_MILLIS = 1000;

    private final NettyTopic topic;
    private final String name;
    /** A group member gives a lost lease up and rebalances ({@code Lease.held()} is false) instead of failing. */
    private final boolean grouped;
    private final ReadAhead ahead;

    NettyReadSession(NettyTopic topic, SessionConfig config) {
        this(topic, new ReadAhead(topic), config);
    }

    private NettyReadSession(NettyTopic topic, ReadAhead ahead, SessionConfig config) {
        super(ahead, config);
        this.ahead = ahead;
        this.topic = topic;
        this.name = config.consumerName();
        this.grouped = config.targets() == null;
    }

    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        if (!grouped) {
            topic.handles().checkLeases(name, assignment());
        }
        return super.poll(maxEvents, maxBytes, timeoutNanos);
    }

    /**
     * Reads the selected data; a retriable failure (lost connection, server restarting) is tried again every 100 ms
     * for up to a second, then left to the engine, which reads those events again later.
     */
    @Override
    public void readData(List<DataRequest> requests) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(RETRY_WINDOW_MILLIS,
                topic.backend().requestTimeoutMillis()));
        while (true) {
            try {
                super.readData(requests);
                return;
            } catch (DiasporaException e) {
                if (!e.isRetriable() || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
            try {
                Thread.sleep(RETRY_PAUSE_MILLIS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new InterruptException("reading event data", ie);
            }
        }
    }

    /** @return the session's read ahead, for tests */
    ReadAhead readAhead() {
        return ahead;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            ahead.discardAll();
        }
    }
}
