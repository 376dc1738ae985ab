package dev.diaspora.stream.netty;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diaspora.stream.ConsumerConflictException;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.netty.protocol.Answers;
import dev.diaspora.stream.netty.protocol.ConsumerRequests;
import dev.diaspora.stream.netty.protocol.Protocol;
import dev.diaspora.stream.netty.protocol.TopicRequests;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * A {@link NettyTopic}'s handles on its servers and the partition leases of its sessions, across reconnections: a
 * request takes the topic's handle on a connection, re-opening the topic (OPEN_TOPIC) when the connection was
 * re-established, then takes the leases of the topic's sessions on that server again; an event-loop thread never
 * waits for that, a background thread does it. A server that no longer holds the topic (or holds another topic of
 * the name) marks the topic deleted.
 *
 * <p>Handles are opened without the ends of their partitions pushed (a producer needs none): once the topic has a
 * read session ({@link #subscribeAll}), every handle is subscribed (SUBSCRIBE), now and after each re-open, and only
 * a subscribed handle's known ends answer reads locally.
 *
 * <p>Thread safety: thread-safe; re-opening and leasing on a connection are serialized by one lock.
 */
final class TopicHandles {
    private final NettyTopic topic;
    private final NettyBackend backend;
    private final String name;
    /** The components as stored, with the placement and its topic_id: they identify the topic's incarnation. */
    private final JsonNode stored;
    /** Per connection: the handle, the connection's generation it belongs to, and 1 if subscribed to its ends. */
    private final Map<Connection, int[]> handles = new ConcurrentHashMap<>();
    /** Set once the topic has a read session: its handles are subscribed to their ends from then on. */
    private volatile boolean reading;
    private final Object handlesLock = new Object();
    /** Leases of the topic's sessions, taken again when their connection is re-established; guarded by itself. */
    private final List<Lease> leases = new ArrayList<>();
    private final AtomicBoolean reopening = new AtomicBoolean();

    TopicHandles(NettyTopic topic, NettyBackend backend, String name, JsonNode stored) {
        this.topic = topic;
        this.backend = backend;
        this.name = name;
        this.stored = stored;
    }

    /** This topic's handle on a connection and the connection's generation it belongs to. */
    record Handle(int id, int generation) {
    }

    /** Records the handle an OPEN_TOPIC answered on {@code c} when the topic was opened. */
    void opened(Connection c, int handle) {
        handles.put(c, new int[] {handle, c.generation(), 0});
    }

    /**
     * @return true if this topic's handle on {@code c} is usable without a reconnect and subscribed to its ends, so
     *     that the ends known here follow the server's (a read at the known end may be answered without a request)
     */
    boolean current(Connection c) {
        int[] h = handles.get(c);
        return h != null && h[1] == c.generation() && h[2] == 1 && c.isActive();
    }

    /**
     * Subscribes this topic's handles on {@code servers} to their partitions' ends (a read session opens), and every
     * handle re-opened later. A server that cannot be reached now is subscribed when its connection is re-established
     * (until then its partitions' reads ask the server). Never call it on an event-loop thread.
     */
    void subscribeAll(Iterable<Connection> servers) {
        reading = true;
        for (Connection c : servers) {
            try {
                handleOf(c);
            } catch (DiasporaException e) {
                if (!e.isRetriable()) {
                    throw e;
                }
            }
        }
    }

    /** Sends SUBSCRIBE for handle {@code h} on {@code c} and records the ends it answers. */
    private void subscribe(Connection c, int h) {
        ByteBuf a = c.callSync(Protocol.SUBSCRIBE, new TopicRequests.Subscribe(h).encode(backend.alloc()));
        try {
            topic.reopened(c, Answers.Notify.decode(a).ends());
        } finally {
            a.release();
        }
    }

    /** @return the handle on {@code c} if usable as is (never reconnects), or null */
    Handle ifCurrent(Connection c) {
        int[] h = handles.get(c);
        return h == null || h[1] != c.generation() || !c.isActive() ? null : new Handle(h[0], h[1]);
    }

    /**
     * @return this topic's handle on {@code c}, reconnecting and re-opening it (and re-taking the leases of this
     *         topic's sessions on that server) after a lost connection
     * @throws DiasporaException (retriable) when that is needed on an event-loop thread, which must not wait; a
     *         background thread then does it
     */
    int handle(Connection c) {
        return handleOf(c).id();
    }

    /**
     * Sends a request on this topic's handle on {@code c} and waits for its answer (the caller releases it). The
     * request is built by {@code build} for the handle; if the connection is re-established between taking the
     * handle and sending, it is built again for the new handle (a server never sees the handle of an earlier
     * connection).
     */
    ByteBuf callOnHandle(Connection c, byte type, IntFunction<ByteBuf> build) {
        for (int attempt = 1;; attempt++) {
            Handle h = handleOf(c); // before building: it may throw
            try {
                return c.await(c.call(type, build.apply(h.id()), List.of(), h.generation()), type);
            } catch (Connection.StaleHandleException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** @return like {@link #handle(Connection)}, with the generation of the connection the handle belongs to */
    Handle handleOf(Connection c) {
        topic.checkNotDeleted(c);
        Handle cur = ifCurrent(c);
        if (cur != null && (!reading || current(c))) {
            return cur;
        }
        if (c.inEventLoop()) {
            return cur != null ? cur : handleNowOf(c);
        }
        synchronized (handlesLock) {
            c.connect();
            int[] h = handles.get(c);
            if (h != null && h[1] == c.generation()) {
                if (reading && h[2] == 0) {
                    subscribe(c, h[0]);
                    handles.put(c, new int[] {h[0], h[1], 1});
                }
                return new Handle(h[0], h[1]);
            }
            if (h != null) {
                c.unlisten(h[0]);
            }
            ByteBuf a;
            try {
                a = c.callSync(Protocol.OPEN_TOPIC, new TopicRequests.OpenTopic(name).encode(backend.alloc()));
            } catch (TopicNotFoundException e) { // deleted while we were away
                throw topic.deleted("partition server " + c.address + " no longer has it");
            }
            try {
                Answers.OpenTopicAnswer open = Answers.OpenTopicAnswer.decode(a);
                int nh = open.handle();
                JsonNode now = Metadata.of(open.components()).json();
                if (!now.equals(stored)) { // deleted and re-created while we were away (a server restart)
                    close(c, nh);
                    throw topic.deleted("partition server " + c.address + " now holds another topic of that name");
                }
                topic.reopened(c, open.ends());
                c.listen(nh, topic::onEnds);
                boolean subscribed = false;
                if (reading) {
                    try {
                        subscribe(c, nh);
                        subscribed = true;
                    } catch (DiasporaException e) {
                        if (!e.isRetriable()) {
                            close(c, nh);
                            throw e;
                        } // else the next request on the handle subscribes it (see the top of this method)
                    }
                }
                if (h != null) {
                    leaseAgain(c, nh);
                }
                int generation = c.generation();
                handles.put(c, new int[] {nh, generation, subscribed ? 1 : 0});
                return new Handle(nh, generation);
            } finally {
                a.release();
            }
        }
    }

    /**
     * @return this topic's handle on {@code c} if it is usable now; never waits
     * @throws DiasporaException (retriable) if the connection is lost: a background thread then reconnects
     */
    int handleNow(Connection c) {
        return handleNowOf(c).id();
    }

    /** @return like {@link #handleNow(Connection)}, with the generation of the connection the handle belongs to */
    Handle handleNowOf(Connection c) {
        topic.checkNotDeleted(c);
        Handle cur = ifCurrent(c);
        if (cur != null) {
            return cur;
        }
        reopenInBackground(c);
        throw c.closedError();
    }

    /** Re-opens the topic on {@code c} on a background thread (one at a time), unless the topic is closed. */
    void reopenInBackground(Connection c) {
        if (topic.isClosed() || !reopening.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                handle(c);
            } catch (RuntimeException e) {
                // the server is still unreachable: the next call tries again and reports it
            } finally {
                reopening.set(false);
            }
        }, "diaspora-netty-reconnect-" + c.address);
        t.setDaemon(true);
        t.start();
    }

    /** Closes handle {@code h} on {@code c} (its answer is not awaited). */
    void close(Connection c, int h) {
        c.unlisten(h);
        c.call(Protocol.CLOSE_TOPIC, new TopicRequests.CloseTopic(h).encode(backend.alloc()))
                .thenAccept(ByteBuf::release);
    }

    /** Closes every handle of the current connections (the topic closed). */
    void closeAll() {
        synchronized (handlesLock) {
            handles.forEach((c, h) -> {
                if (h[1] == c.generation()) {
                    close(c, h[0]);
                }
            });
            handles.clear();
        }
    }

    // ------------------------------------------------------------------ leases

    /**
     * @return the lease of global partition {@code p} on its server {@code c}, a {@link dev.diaspora.stream.spi.Lease}
     *     that is no longer {@code held()} once lost (see {@link #checkLeases}), or null if another session holds it
     */
    AutoCloseable tryLease(Connection c, String consumer, int p) {
        Lease l;
        synchronized (handlesLock) { // no re-lease of this topic's leases runs meanwhile
            int handle = handle(c);
            long id = lease(c, handle, consumer, p);
            if (id == 0) {
                return null;
            }
            l = new Lease(c, consumer, p, id, c.generation());
            synchronized (leases) {
                leases.add(l);
            }
        }
        return l;
    }

    /** Takes the leases of this topic's open sessions on {@code c} again, on its new connection (handle nh). */
    private void leaseAgain(Connection c, int nh) {
        List<Lease> mine;
        synchronized (leases) {
            mine = new ArrayList<>(leases);
        }
        for (Lease l : mine) {
            if (l.connection != c || l.closed) {
                continue;
            }
            long id = lease(c, nh, l.consumer, l.partition);
            synchronized (l) {
                if (id == 0) {
                    l.lost = true; // another consumer of the name took it while the connection was down
                } else {
                    l.id = id;
                    l.generation = c.generation();
                }
            }
        }
    }

    private long lease(Connection c, int handle, String consumer, int p) {
        ByteBuf a = c.callSync(Protocol.LEASE, new ConsumerRequests.Lease(handle, consumer, topic.localOf(p))
                .encode(backend.alloc()));
        try {
            return Answers.LongValue.decode(a).value();
        } finally {
            a.release();
        }
    }

    /**
     * Fails if a lease of {@code consumer} on one of {@code partitions} was lost: its server restarted or the
     * connection dropped, and another consumer of the name took the partition before this one reconnected.
     */
    void checkLeases(String consumer, Set<Integer> partitions) {
        synchronized (leases) {
            for (Lease l : leases) {
                if (l.lost && !l.closed && l.consumer.equals(consumer) && partitions.contains(l.partition)) {
                    throw new ConsumerConflictException("Consumer '" + consumer + "' of topic '" + name + "' lost "
                            + "partition " + l.partition + ": the connection to partition server " + l.connection
                            + " was lost and another consumer of that name took the partition before this one "
                            + "reconnected. Close this consumer (and open it again to share the partitions anew)");
                }
            }
        }
    }

    /** A lease held for one session; re-taken with the new connection after a reconnect. */
    private final class Lease implements dev.diaspora.stream.spi.Lease {
        final Connection connection;
        final String consumer;
        final int partition;
        long id; // guarded by this
        int generation; // guarded by this
        volatile boolean lost;
        volatile boolean closed;

        Lease(Connection connection, String consumer, int partition, long id, int generation) {
            this.connection = connection;
            this.consumer = consumer;
            this.partition = partition;
            this.id = id;
            this.generation = generation;
        }

        /** @return false once closed, or lost: another consumer of the name took it while the connection was down */
        @Override
        public boolean held() {
            return !closed && !lost;
        }

        @Override
        public void close() {
            closed = true;
            synchronized (leases) {
                leases.remove(this);
            }
            long held;
            synchronized (this) {
                // after a reconnect without re-lease the server has dropped the lease already
                held = lost || generation != connection.generation() ? 0 : id;
            }
            if (held != 0) {
                connection.call(Protocol.RELEASE, new ConsumerRequests.Release(held).encode(backend.alloc()))
                        .whenComplete((b, e) -> {
                            if (b != null) {
                                b.release();
                            }
                        });
            }
        }
    }
}
