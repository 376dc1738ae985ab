package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Constants;
import com.rabbitmq.stream.Message;
import com.rabbitmq.stream.OffsetSpecification;
import com.rabbitmq.stream.impl.Client;
import dev.diaspora.stream.DiasporaException;
import io.netty.channel.EventLoopGroup;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The driver's administrative connection: one low-level stream-protocol client for creating and deleting streams,
 * short reads that answer a question (the last chunk of a stream, its first offset, the first offset at a time, a
 * scan of a small stream) and the server's offset tracking. RabbitMQ 3.10 has no request for a stream's bounds
 * (StreamStats arrived in 3.11), so the bounds are read: every stream the driver makes holds a record at offset 0, so
 * a subscription at "last" always receives the last chunk at once.
 *
 * <p>Every short read is a subscription, and RabbitMQ before its November 2022 releases keeps an ended subscription's
 * file handle open until the connection's server process collects garbage: the connection is therefore replaced
 * after every {@value #RENEW_AFTER_READS} reads (once the requests running on it end), which releases them (see the
 * README, "Subscriptions and the server's file handles").
 *
 * <p>Thread safety: thread-safe; a lost connection is replaced at the next request.
 */
final class StreamAdmin implements AutoCloseable {
    /** Receives one subscription's deliveries on the client's dispatch thread. */
    interface Sink {
        /** A chunk of {@code count} records from {@code first} arrives (before its messages). */
        default void chunk(long first, long count) {
        }

        /** @return true when the sink has what it wants (the subscription is then cancelled) */
        boolean message(long offset, long timestampMs, Message message);
    }

    private final RabbitConfig config;
    private final Map<Byte, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    /** Short reads (subscriptions) made on one connection before it is replaced. */
    static final int RENEW_AFTER_READS = 256;

    private Client client; // guarded by this
    private int readsOnClient; // guarded by this: subscriptions made on `client`
    private final Map<Client, Integer> running = new IdentityHashMap<>(); // guarded by this: requests per connection
    private long connections; // guarded by this: connections opened so far (for tests)
    private boolean closed; // guarded by this

    private static final class Subscription {
        final String stream;
        final Sink sink;
        final Client client; // the connection it was made on: deliveries of another one are not its own
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Subscription(String stream, Sink sink, Client client) {
            this.stream = stream;
            this.sink = sink;
            this.client = client;
        }
    }

    private final EventLoopGroup group;

    StreamAdmin(RabbitConfig config, EventLoopGroup group) {
        this.config = config;
        this.group = group;
        client(); // fail at open with a clear error when the server cannot be reached
    }

    private synchronized Client client() {
        if (closed) {
            throw new IllegalStateException("the rabbitmq driver is closed");
        }
        if (client == null || !client.isOpen()) {
            Client[] self = new Client[1]; // the listeners serve this connection's subscriptions only
            client = config.client(new Client.ClientParameters()
                    .shutdownListener(ctx -> { // the connection is lost: end the reads now, not at their timeout
                        for (Subscription s : subscriptions.values()) {
                            if (s.client != self[0]) {
                                continue;
                            }
                            s.done.completeExceptionally(new DiasporaException("the connection to RabbitMQ at "
                                    + config.address() + " was lost while reading stream '" + s.stream + "'", null,
                                    true));
                        }
                    })
                    .metadataListener((stream, code) -> { // deleted while read: end the read now, not at its timeout
                        for (Subscription s : subscriptions.values()) {
                            if (s.client == self[0] && s.stream.equals(stream)) {
                                s.done.completeExceptionally(new DiasporaException("stream '" + stream + "' became"
                                        + " unavailable while read: " + codeName(code), null, true));
                            }
                        }
                    })
                    .chunkListener((c, id, offset, count, size) -> {
                        Subscription s = subscriptions.get(id);
                        if (s != null && s.client == self[0] && !s.done.isDone()) {
                            s.sink.chunk(offset, count);
                            c.credit(id, 1);
                        }
                        return null;
                    })
                    .messageListener((id, offset, ts, committed, ctx, message) -> {
                        Subscription s = subscriptions.get(id);
                        if (s != null && s.client == self[0] && !s.done.isDone()) {
                            try {
                                if (s.sink.message(offset, ts, message)) {
                                    s.done.complete(null);
                                }
                            } catch (RuntimeException e) {
                                s.done.completeExceptionally(e);
                            }
                        }
                    }), group);
            self[0] = client;
            readsOnClient = 0;
            connections++;
        }
        return client;
    }

    /**
     * @param read whether the caller makes a subscription: the connection is replaced after
     *     {@value #RENEW_AFTER_READS} of them
     * @return the connection for one request, counted as running on it until {@link #release}
     */
    private Client acquire(boolean read) {
        Client retired = null;
        Client c;
        synchronized (this) {
            c = client();
            if (read && readsOnClient >= RENEW_AFTER_READS) {
                client = null;
                if (!running.containsKey(c)) {
                    retired = c; // nothing runs on it: close it now; else the last request on it does
                }
                c = client();
            }
            if (read) {
                readsOnClient++;
            }
            running.merge(c, 1, Integer::sum);
        }
        if (retired != null) {
            retired.close();
        }
        return c;
    }

    /** Makes the next read replace connection {@code c} (if still current). */
    private synchronized void retireSoon(Client c) {
        if (c == client) {
            readsOnClient = RENEW_AFTER_READS;
        }
    }

    /** Ends a request on {@code c}; the last one on a replaced connection closes it. */
    private void release(Client c) {
        synchronized (this) {
            Integer n = running.get(c);
            if (n != null && n > 1) {
                running.put(c, n - 1);
                return;
            }
            running.remove(c);
            if (c == client) {
                return;
            }
        }
        c.close();
    }

    /** Runs one request on the connection. */
    private <T> T call(Function<Client, T> request) {
        Client c = acquire(false);
        try {
            return request.apply(c);
        } finally {
            release(c);
        }
    }

    /** @return how many replaced connections still have requests running, so are not closed yet (for tests) */
    synchronized int retiredStillOpen() {
        int n = 0;
        for (Client c : running.keySet()) {
            if (c != client) {
                n++;
            }
        }
        return n;
    }

    /** @return how many connections were opened so far (for tests) */
    synchronized long connections() {
        return connections;
    }

    private DiasporaException failure(String what, short code) {
        return new DiasporaException("RabbitMQ at " + config.address() + " refused to " + what + ": response code "
                + code + " (" + codeName(code) + ")");
    }

    static String codeName(short code) {
        switch (code) {
            case Constants.RESPONSE_CODE_STREAM_DOES_NOT_EXIST: return "stream does not exist";
            case Constants.RESPONSE_CODE_STREAM_ALREADY_EXISTS: return "stream already exists";
            case Constants.RESPONSE_CODE_STREAM_NOT_AVAILABLE: return "stream not available";
            case Constants.RESPONSE_CODE_ACCESS_REFUSED: return "access refused: the user lacks permissions";
            case Constants.RESPONSE_CODE_PRECONDITION_FAILED: return "precondition failed";
            case Constants.CODE_PUBLISH_CONFIRM_TIMEOUT: return "not confirmed within option 'push_timeout_ms'";
            case Constants.CODE_PRODUCER_NOT_AVAILABLE: return "the producer's connection is lost";
            case Constants.CODE_PRODUCER_CLOSED: return "the producer was closed";
            default: return "see RabbitMQ's stream protocol";
        }
    }

    /** @return true if created, false if it existed */
    boolean create(String stream, Map<String, String> arguments) {
        Client.Response r = call(c -> c.create(stream, arguments));
        if (r.isOk()) {
            return true;
        }
        if (r.getResponseCode() == Constants.RESPONSE_CODE_STREAM_ALREADY_EXISTS) {
            return false;
        }
        throw failure("create stream '" + stream + "' with " + arguments, r.getResponseCode());
    }

    /** @return true if deleted, false if it did not exist */
    boolean delete(String stream) {
        Client.Response r = call(c -> c.delete(stream));
        if (r.isOk()) {
            return true;
        }
        if (r.getResponseCode() == Constants.RESPONSE_CODE_STREAM_DOES_NOT_EXIST) {
            return false;
        }
        throw failure("delete stream '" + stream + "'", r.getResponseCode());
    }

    boolean exists(String stream) {
        Client.StreamMetadata m = call(c -> c.metadata(stream)).get(stream);
        return m != null && m.isResponseOk();
    }

    /**
     * Subscribes to {@code stream} at {@code from} and feeds {@code sink} until it says it is done.
     *
     * @return false if the stream does not exist
     */
    boolean read(String stream, OffsetSpecification from, Sink sink) {
        Client c = acquire(true);
        Subscription s = new Subscription(stream, sink, c);
        byte id;
        try {
            id = register(s);
        } catch (RuntimeException e) {
            release(c);
            throw e;
        }
        boolean subscribed = false;
        try {
            Client.Response r = c.subscribe(id, stream, from, 1);
            if (!r.isOk()) {
                if (r.getResponseCode() == Constants.RESPONSE_CODE_STREAM_DOES_NOT_EXIST) {
                    return false;
                }
                throw failure("read stream '" + stream + "'", r.getResponseCode());
            }
            subscribed = true;
            try {
                s.done.get(config.timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new DiasporaException("RabbitMQ at " + config.address() + " did not deliver stream '" + stream
                        + "' from " + from + " within " + config.timeout.toMillis() + " ms", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                        : new DiasporaException("reading stream '" + stream + "': " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new dev.diaspora.stream.InterruptException("interrupted reading stream '" + stream + "'", e);
            }
            return true;
        } finally {
            s.done.complete(null);
            if (subscribed && c.isOpen()) { // also after a timeout or failure: a subscription left open stays open
                try {
                    c.unsubscribe(id);
                } catch (RuntimeException e) {
                    // the connection went meanwhile, and the subscription with it; or the server did not answer, and
                    // the subscription may still be open there: the next read replaces the connection, which ends it
                    retireSoon(c);
                }
            }
            subscriptions.remove(id, s);
            release(c);
        }
    }

    private byte register(Subscription s) {
        for (int i = 0; i < 512; i++) {
            byte id = (byte) nextId.getAndIncrement();
            if (subscriptions.putIfAbsent(id, s) == null) {
                return id;
            }
        }
        throw new DiasporaException("more than 256 concurrent reads on the admin connection to " + config.address());
    }

    /** The last chunk of a stream: its last offset and its timestamp. */
    record Tail(long lastOffset, long timestampMs) {
    }

    /** @return the last offset of a non-empty stream and its chunk's time, or null if the stream does not exist */
    Tail tail(String stream) {
        long[] last = {-1};
        Tail[] out = {null};
        boolean found = read(stream, OffsetSpecification.last(), new Sink() {
            @Override
            public void chunk(long first, long count) {
                last[0] = first + count - 1;
            }

            @Override
            public boolean message(long offset, long ts, Message m) {
                out[0] = new Tail(Math.max(last[0], offset), ts);
                return true;
            }
        });
        return found ? out[0] : null;
    }

    /** @return the first offset of {@code spec} (first, timestamp), or -1 if the stream does not exist */
    long firstOffset(String stream, OffsetSpecification spec) {
        long[] first = {-1};
        boolean found = read(stream, spec, (offset, ts, m) -> {
            first[0] = offset;
            return true;
        });
        return found ? first[0] : -1;
    }

    /** @return the stored offset of {@code reference} on {@code stream}, or -1 if none */
    long queryOffset(String reference, String stream) {
        Client.QueryOffsetResponse r = call(c -> c.queryOffset(reference, stream));
        if (r.isOk()) {
            return r.getOffset();
        }
        if (r.getResponseCode() == Constants.RESPONSE_CODE_NO_OFFSET) {
            return -1;
        }
        throw failure("read the stored offset of '" + reference + "' on stream '" + stream + "'",
                r.getResponseCode());
    }

    /**
     * Stores an offset and waits until the server reports it (storing has no reply in the protocol), so that the
     * caller may say it is stored.
     */
    void storeOffset(String reference, String stream, long offset) {
        call(c -> {
            c.storeOffset(reference, stream, offset);
            return null;
        });
        long deadline = System.nanoTime() + config.timeout.toNanos();
        while (queryOffset(reference, stream) != offset) {
            if (System.nanoTime() > deadline) {
                throw new DiasporaException("RabbitMQ at " + config.address() + " did not store offset " + offset
                        + " of '" + reference + "' on stream '" + stream + "' within " + config.timeout.toMillis()
                        + " ms");
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
