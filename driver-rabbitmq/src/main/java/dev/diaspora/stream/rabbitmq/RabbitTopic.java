package dev.diaspora.stream.rabbitmq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.stream.Constants;
import com.rabbitmq.stream.Message;
import com.rabbitmq.stream.OffsetSpecification;
import dev.diaspora.stream.CorruptDataException;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PartitionInfo;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.ChangeNotifier;
import dev.diaspora.stream.spi.DataRequest;
import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.ReadSession;
import dev.diaspora.stream.spi.RecordAppender;
import dev.diaspora.stream.spi.SessionConfig;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open topic of the rabbitmq driver. It implements {@link LocalTopic}, so consumers get the shared
 * {@link LocalReadSession}: reads by EventID go to {@link Cursor}s (subscriptions at offset id + 1), bounds and time
 * lookups to short reads of the admin connection, positions to the server's offset tracking on the topic's config
 * stream (reference {@code diaspora:<consumer name>:<partition>}, the stored value being the next EventID).
 *
 * <p>Thread safety: thread-safe.
 */
final class RabbitTopic implements TopicBackend, LocalTopic {
    private static final AtomicLong TOKENS = new AtomicLong();
    /** The low bits of a data location: the event's index in its batch; the high bits are the batch's token. */
    static final int INDEX_BITS = 20;

    final RabbitBackend backend;
    private final String name;
    private final int partitionCount;
    private final List<PartitionInfo> partitions;
    private final Metadata components;
    private final String[] streams;
    private final ChangeNotifier notifier = new ChangeNotifier();
    private final PartitionTail[] tails;
    private final Cursors cursors;
    /** The bodies of each batch handed to the engine, by the batch's token, until the batch is released. */
    private final ConcurrentHashMap<Long, Cursor.Drained> inFlight = new ConcurrentHashMap<>();
    private final Set<String> registeredNames = ConcurrentHashMap.newKeySet();
    /** The topic's incarnation: a topic deleted and created again under the name is another topic. */
    private final String incarnation;
    private volatile long checkedAt = System.nanoTime();
    private volatile boolean deleted;
    /** A publish failed in a way that may mean the topic was deleted: the next check reads the record at once. */
    private volatile boolean suspect;
    private volatile boolean closed;

    /** How often reads and pushes check that the topic was not deleted (admin calls check every time). */
    private static final long CHECK_INTERVAL_NANOS = 250_000_000L;

    RabbitTopic(RabbitBackend backend, String name, ObjectNode record) {
        this.backend = backend;
        this.name = name;
        this.partitionCount = record.path("options").path("num_partitions").asInt(1);
        JsonNode comps = record.get("components");
        this.components = comps instanceof ObjectNode ? Metadata.of(comps) : Metadata.EMPTY;
        List<PartitionInfo> ps = new ArrayList<>();
        this.streams = new String[partitionCount];
        for (int p = 0; p < partitionCount; p++) {
            ps.add(new PartitionInfo(p, Metadata.EMPTY));
            streams[p] = RabbitBackend.partitionStream(name, p);
        }
        this.partitions = List.copyOf(ps);
        this.tails = new PartitionTail[partitionCount];
        this.cursors = new Cursors(this, partitionCount);
        this.incarnation = record.path("incarnation").asText();
    }

    /**
     * Fails with {@link TopicNotFoundException} if the topic was deleted (or deleted and created again) since this
     * handle opened it: reads the stored topic record again.
     */
    void checkLive() {
        checkOpen();
        if (deleted) {
            throw gone();
        }
        checkedAt = System.nanoTime();
        ObjectNode now;
        try {
            now = topicRecordRetried();
        } catch (RuntimeException e) {
            // a config stream deleted while read is gone; a server that cannot be reached says nothing either way
            boolean exists;
            try {
                exists = backend.admin.exists(RabbitBackend.configStream(name));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
                exists = true;
            }
            if (exists) {
                throw new DiasporaException("cannot check that topic '" + name + "' still exists in RabbitMQ at "
                        + backend.config.address() + ": " + e.getMessage(), e, true);
            }
            now = null;
        }
        if (now == null || !incarnation.equals(now.path("incarnation").asText())) {
            deleted = true;
            throw gone();
        }
    }

    /** Reads the topic record, once more if the first read fails (the admin connection reconnects in between). */
    private ObjectNode topicRecordRetried() {
        try {
            return backend.topicRecord(name);
        } catch (RuntimeException e) {
            try {
                return backend.topicRecord(name);
            } catch (RuntimeException again) {
                again.addSuppressed(e);
                throw again;
            }
        }
    }

    /** {@link #checkLive()} at most every 250 ms, or at once after a publish failure that may mean a delete. */
    void checkLiveSometimes() {
        if (deleted) {
            throw gone();
        }
        if (suspect || System.nanoTime() - checkedAt > CHECK_INTERVAL_NANOS) {
            suspect = false;
            checkLive();
        }
    }

    /**
     * @return the error of a publish the broker refused or the client gave up on. Runs on the client's threads (a
     *     Netty I/O thread for the server's publish errors), so it reads nothing from the server: a code saying the
     *     stream or its producer is gone marks the topic suspect, and the next push reads the topic record again
     *     ({@link #checkLiveSometimes}) and fails with {@link TopicNotFoundException} if it was deleted.
     */
    DiasporaException publishFailure(int p, short code) {
        if (code == Constants.RESPONSE_CODE_STREAM_DOES_NOT_EXIST || code == Constants.RESPONSE_CODE_STREAM_NOT_AVAILABLE
                || code == Constants.CODE_PRODUCER_CLOSED) {
            suspect = true;
        }
        if (deleted) {
            return gone();
        }
        return new DiasporaException("RabbitMQ did not store an event in partition " + p + " of topic '" + name
                + "' (stream '" + streams[p] + "'): code " + code + " (" + StreamAdmin.codeName(code) + ")", null,
                true);
    }

    /** @return a message's single data section, or null if it has none (a foreign message) */
    static byte[] body(Message m) {
        try {
            return m.getBodyAsBinary();
        } catch (RuntimeException e) {
            return null;
        }
    }

    String stream(int p) {
        return streams[p];
    }

    TopicNotFoundException gone() {
        return new TopicNotFoundException("Topic '" + name + "' no longer exists in RabbitMQ at "
                + backend.config.address() + " (deleted by another client?)");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the topic handle of '" + name + "' is closed");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PartitionInfo> partitions() {
        return partitions;
    }

    @Override
    public int numPartitions() {
        return partitionCount;
    }

    @Override
    public Metadata components() {
        return components;
    }

    @Override
    public PartitionBounds bounds(int p) {
        checkLive();
        StreamAdmin.Tail tail = backend.admin.tail(streams[p]);
        long first = backend.admin.firstOffset(streams[p], OffsetSpecification.first());
        if (tail == null || first < 0) {
            throw gone();
        }
        // offset 0 is the partition's header: EventID = offset - 1, and the next id is the last offset
        return new PartitionBounds(Math.max(0, first - 1), tail.lastOffset());
    }

    @Override
    public long idForTime(int p, Instant time) {
        checkLive();
        // chunk times are milliseconds: round up, so that every event found was stored at or after `time`
        long ms = time.getEpochSecond() * 1000 + (time.getNano() + 999_999) / 1_000_000;
        StreamAdmin.Tail tail = backend.admin.tail(streams[p]);
        if (tail == null) {
            throw gone();
        }
        if (tail.timestampMs() < ms) {
            return tail.lastOffset();
        }
        long offset = backend.admin.firstOffset(streams[p], OffsetSpecification.timestamp(ms));
        if (offset < 0) {
            throw gone();
        }
        return Math.max(0, offset - 1);
    }

    synchronized PartitionTail tail(int p) {
        checkOpen();
        if (tails[p] == null || tails[p].dead()) { // a follower the client closed by itself is replaced
            tails[p] = new PartitionTail(this, p);
        }
        return tails[p];
    }

    @Override
    public RecordAppender appender(AppenderConfig config) {
        checkLive();
        return new RabbitAppender(this);
    }

    @Override
    public ReadSession openSession(SessionConfig config) {
        checkLive();
        return new LocalReadSession(this, config);
    }

    /** @return the handle's cursors (for tests) */
    Cursors cursors() {
        return cursors;
    }

    private void drop(int p, Cursor cursor) {
        cursors.drop(p, cursor);
        notifier.changed(); // the caller returns no records: make its session read again at once
    }

    @Override
    public IncomingBatch read(int p, long fromId, int maxEvents, long maxBytes) {
        checkLiveSometimes();
        long from = fromId + 1;
        Cursor cursor = cursors.claim(p, from);
        try {
            return read(p, fromId, from, cursor, maxEvents, maxBytes);
        } finally {
            cursors.release(p, cursor);
        }
    }

    private IncomingBatch read(int p, long fromId, long from, Cursor cursor, int maxEvents, long maxBytes) {
        long at = cursor.first();
        if (at < 0) {
            return null;
        }
        if (at > from) {
            long first = backend.admin.firstOffset(streams[p], OffsetSpecification.first());
            if (first > from) { // retention removed the events before it
                return IncomingBatch.failure(p, fromId, new PositionExpiredException(p, fromId, first - 1,
                        "rabbitmq driver (stream '" + streams[p] + "')"));
            }
            // Offset `from` holds no message: something other than messages (offset tracking, which the driver
            // keeps out of partition streams) was written there by another program.
            drop(p, cursor);
            return IncomingBatch.failure(p, fromId, new CorruptDataException("partition " + p + " of topic '" + name
                    + "', event id " + fromId + ": stream '" + streams[p] + "' holds no message at offset " + from
                    + " (the next is at " + at + "): another program stored offset tracking or other entries"
                    + " in this partition stream; seek past it to go on"));
        }
        Cursor.Drained d = cursor.drain(maxEvents, maxBytes);
        if (d.count == 0) { // the record at the position is not an event of this layout
            String body = cursor.takeOne();
            return IncomingBatch.failure(p, fromId, new CorruptDataException("partition " + p + " of topic '" + name
                    + "', event id " + fromId + " (stream '" + streams[p] + "', offset " + from + "): " + body
                    + "; seek past it to go on"));
        }
        return batch(p, fromId, d);
    }

    /**
     * The engine's batch of drained events: their metadata back to back as the cursor laid it out (on the client's
     * dispatch thread), the bodies kept whole under one location token until the batch is released, each event's
     * location being the token and its index in the batch.
     */
    private IncomingBatch batch(int p, long fromId, Cursor.Drained d) {
        int n = d.count;
        long[] locations = new long[n];
        long token = TOKENS.incrementAndGet();
        long base = token << INDEX_BITS;
        for (int i = 0; i < n; i++) {
            locations[i] = base | i;
        }
        inFlight.put(token, d);
        return new IncomingBatch(p, fromId, n, ByteBuffer.wrap(d.metadata), d.metadataOffsets, d.timesNanos,
                d.dataSizes, locations, () -> inFlight.remove(token), null);
    }

    @Override
    public void readData(List<DataRequest> requests) {
        long token = -1;
        Cursor.Drained batch = null;
        for (DataRequest r : requests) {
            long location = r.descriptor().locationAsLong();
            if (location >>> INDEX_BITS != token) { // the requests of one read are mostly of one batch: one lookup
                token = location >>> INDEX_BITS;
                batch = inFlight.get(token);
            }
            if (batch == null) {
                r.fail(new DiasporaException("partition " + r.partition() + ", event id " + r.eventId()
                        + ": its data was released before it was read"));
                continue;
            }
            int i = (int) (location & (Cursor.MAX_DRAIN - 1));
            byte[] body = batch.bodies[i];
            int off = body.length - (int) batch.dataSizes[i]; // the data is the body's tail: no header read
            DataDescriptor d = r.descriptor();
            if (d.depth() == 0 && d.size() <= body.length - off) { // the whole data: no ranges to map
                if (d.size() > 0) {
                    r.target().write(0, ByteBuffer.wrap(body, off, (int) d.size()));
                }
            } else {
                r.fillFrom(ByteBuffer.wrap(body, off, body.length - off));
            }
        }
    }

    /**
     * Positions are tracked on the topic's config stream, one reference per (name, partition): the server writes
     * offset tracking as entries of the stream it tracks, which take offsets, so tracking a partition stream itself
     * would leave holes in its EventIDs.
     */
    private static String reference(String consumerName, int p) {
        return "diaspora:" + consumerName + ":" + p;
    }

    @Override
    public Set<String> consumerNames() {
        checkLive();
        String config = RabbitBackend.configStream(name);
        StreamAdmin.Tail tail = backend.admin.tail(config);
        if (tail == null) {
            throw gone();
        }
        Set<String> names = new HashSet<>();
        if (tail.lastOffset() > 0) {
            backend.admin.read(config, OffsetSpecification.offset(1), (offset, ts, m) -> {
                byte[] body = body(m);
                if (Layout.kind(body) == Layout.KIND_CONSUMER) {
                    names.add(Metadata.of(Layout.text(body)).json().path("consumer").asText());
                }
                return offset >= tail.lastOffset();
            });
        }
        return names;
    }

    @Override
    public Map<Integer, Long> committed(String consumerName) {
        checkLive();
        Map<Integer, Long> out = new TreeMap<>();
        for (int p = 0; p < partitionCount; p++) {
            long o = backend.admin.queryOffset(reference(consumerName, p), RabbitBackend.configStream(name));
            if (o >= 0) {
                out.put(p, o);
            }
        }
        return out;
    }

    @Override
    public void commit(String consumerName, Map<Integer, Long> positions) {
        checkOpen();
        if (registeredNames.add(consumerName) && !consumerNames().contains(consumerName)) {
            backend.publish(RabbitBackend.configStream(name), Layout.text(Layout.KIND_CONSUMER,
                    "{\"consumer\":" + com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                            .textNode(consumerName) + "}"));
        }
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            backend.admin.storeOffset(reference(consumerName, e.getKey()), RabbitBackend.configStream(name),
                    e.getValue());
        }
    }

    @Override
    public void storePositions(String consumerName, Map<Integer, Long> positions) {
        commit(consumerName, positions);
    }

    @Override
    public AutoCloseable tryLease(String consumerName, int p) {
        return Leases.tryLease(backend.config.host + ":" + backend.config.port + backend.config.virtualHost,
                streams[p], consumerName);
    }

    @Override
    public ChangeNotifier notifier() {
        return notifier;
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * Closes the handle. When the whole driver closes ({@code driverClosing}), subscriptions are not cancelled one
     * by one (a request each): closing the connections right after ends them all.
     */
    synchronized void close(boolean driverClosing) {
        if (closed) {
            return;
        }
        closed = true;
        for (int p = 0; p < partitionCount; p++) {
            if (tails[p] != null) {
                tails[p].close(driverClosing);
            }
            cursors.closeAll(p, driverClosing);
        }
        backend.closed(this);
    }
}
