package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.OffsetSpecification;
import com.rabbitmq.stream.Resource;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.RecordAppender.AppendCallback;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Follows the end of one partition stream for the producers of a topic handle. The stream protocol's confirm names a
 * publishing id, not the offset the message got, and other writers interleave their messages; so a send completes
 * when this follower sees the message in the stream (which the server delivers only once it is committed, as it
 * confirms): the offset it sees there gives the EventID. It also wakes this handle's tailing consumers.
 *
 * <p>A push always ends. When the follower's connection is lost, the client resubscribes from the last offset it
 * received, and the sends waiting meanwhile complete when their messages are seen. A send still unseen after the
 * driver's push timeout fails with a retriable error that names the stream and the follower's state (recovering since
 * when, or the server never confirmed the event); a follower the client closes (its stream deleted) fails every waiting
 * send at once and is replaced at the next send ({@link #dead()}).
 *
 * <p>Thread safety: thread-safe; deliveries and state changes arrive on the client's threads, the sweep on the
 * driver's scheduler.
 */
final class PartitionTail implements AutoCloseable {
    private record Key(long writer, long sequence) {
    }

    /** A send waiting to be seen. */
    private static final class Pending {
        final AppendCallback callback;
        final long since = System.nanoTime();
        volatile boolean confirmed;

        Pending(AppendCallback callback) {
            this.callback = callback;
        }
    }

    private final RabbitTopic topic;
    private final int partition;
    private final String stream;
    private final long timeoutNanos;
    private final ConcurrentHashMap<Key, Pending> pending = new ConcurrentHashMap<>();
    private final Consumer consumer;
    private volatile ScheduledFuture<?> sweep;
    /** Why the follower is not following now (null while it is), and since when. */
    private volatile String trouble;
    private volatile long troubleSince;
    private volatile boolean closing;
    private volatile boolean dead;

    PartitionTail(RabbitTopic topic, int partition) {
        this.topic = topic;
        this.partition = partition;
        this.stream = topic.stream(partition);
        this.timeoutNanos = topic.backend.config.pushTimeout.toNanos();
        topic.checkLive();
        StreamAdmin.Tail tail = topic.backend.admin.tail(stream);
        if (tail == null) {
            throw topic.gone();
        }
        this.consumer = topic.backend.environment.consumerBuilder().stream(stream)
                .offset(OffsetSpecification.offset(tail.lastOffset())) // an existing record: see Cursor
                .listeners(this::stateChanged)
                .messageHandler((ctx, message) -> seen(ctx.offset(), RabbitTopic.body(message))).build();
        long period = Math.max(50, Math.min(1_000, topic.backend.config.pushTimeout.toMillis() / 4));
        this.sweep = topic.backend.scheduler().scheduleAtFixedRate(this::sweepSafely, period, period,
                TimeUnit.MILLISECONDS);
    }

    private void stateChanged(Resource.Context ctx) {
        switch (ctx.currentState()) {
            case OPEN -> trouble = null;
            case RECOVERING -> {
                troubleSince = System.nanoTime();
                trouble = "the follower subscription lost its connection and is resubscribing from the last offset"
                        + " it saw";
            }
            case CLOSED -> {
                if (!closing) { // closed by the client, not by us: the stream was deleted, or recovery gave up
                    dead = true;
                    ScheduledFuture<?> s = sweep;
                    if (s != null) {
                        s.cancel(false);
                    }
                    failAll(new DiasporaException(failureText("the client closed the follower subscription (the"
                            + " stream was deleted, or it could not be recovered)"), null, true));
                }
            }
            default -> {
            }
        }
    }

    /** @return true if the client closed the follower by itself: the topic handle replaces it */
    boolean dead() {
        return dead;
    }

    /** Registers a send before it is published. */
    void expect(long writer, long sequence, AppendCallback callback) {
        pending.put(new Key(writer, sequence), new Pending(callback));
        if (dead) { // closed between the caller's check and now: nobody would see the message
            failed(writer, sequence, new DiasporaException(failureText("the follower subscription is closed"), null,
                    true));
        }
    }

    /** The broker confirmed a send: it is stored, and waits only to be seen. */
    void confirmed(long writer, long sequence) {
        Pending p = pending.get(new Key(writer, sequence));
        if (p != null) {
            p.confirmed = true;
        }
    }

    /** The broker refused or timed out a send. */
    void failed(long writer, long sequence, Throwable error) {
        Pending p = pending.remove(new Key(writer, sequence));
        if (p != null) {
            p.callback.onComplete(-1, error);
        }
    }

    private void seen(long offset, byte[] body) {
        if (Layout.kind(body) == Layout.KIND_EVENT) {
            Pending p = pending.remove(new Key(Layout.writer(body), Layout.sequence(body)));
            if (p != null) {
                p.callback.onComplete(offset - 1, null);
            }
        }
        topic.notifier().changed();
    }

    private String failureText(String cause) {
        return "the rabbitmq driver could not see this event stored in stream '" + stream + "' (partition "
                + partition + " of topic '" + topic.name() + "'): " + cause + ". The event may still be stored; a"
                + " retry may store it twice";
    }

    /** Fails the sends that waited longer than the push timeout, oldest first (a partition's sends end in order). */
    /** A periodic task that throws is never run again: report the failure and keep sweeping. */
    private void sweepSafely() {
        try {
            sweep();
        } catch (RuntimeException e) {
            topic.backend.errors.onError("rabbitmq: " + stream + ": the push timeout sweep failed; it goes on", e);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        List<Map.Entry<Key, Pending>> expired = new ArrayList<>();
        for (Map.Entry<Key, Pending> e : pending.entrySet()) {
            if (now - e.getValue().since > timeoutNanos) {
                expired.add(e);
            }
        }
        if (expired.isEmpty()) {
            return;
        }
        expired.sort(Comparator.comparingLong((Map.Entry<Key, Pending> e) -> e.getValue().since)
                .thenComparingLong(e -> e.getKey().sequence()));
        String t = trouble;
        long ms = topic.backend.config.pushTimeout.toMillis();
        for (Map.Entry<Key, Pending> e : expired) {
            String cause;
            if (t != null) {
                cause = t + " (for " + (now - troubleSince) / 1_000_000 + " ms)";
            } else if (e.getValue().confirmed) {
                cause = "the server confirmed it, but the follower subscription did not deliver it within " + ms
                        + " ms";
            } else {
                cause = "the server did not confirm it within " + ms + " ms (is the connection to "
                        + topic.backend.config.address() + " lost?)";
            }
            if (pending.remove(e.getKey(), e.getValue())) {
                e.getValue().callback.onComplete(-1, new DiasporaException(failureText(cause
                        + "; bound: option 'push_timeout_ms'"), null, true));
            }
        }
    }

    private void failAll(DiasporaException error) {
        List<Map.Entry<Key, Pending>> all = new ArrayList<>(pending.entrySet());
        all.sort(Comparator.comparingLong((Map.Entry<Key, Pending> e) -> e.getValue().since)
                .thenComparingLong(e -> e.getKey().sequence()));
        for (Map.Entry<Key, Pending> e : all) {
            if (pending.remove(e.getKey(), e.getValue())) {
                e.getValue().callback.onComplete(-1, error);
            }
        }
    }

    @Override
    public void close() {
        close(false);
    }

    /** Fails the sends still waiting; cancels the subscription unless the driver's connections close anyway. */
    void close(boolean driverClosing) {
        closing = true;
        ScheduledFuture<?> s = sweep;
        if (s != null) {
            s.cancel(false);
        }
        if (!driverClosing) {
            consumer.close();
        }
        failAll(new DiasporaException("the topic handle of '" + topic.name()
                + "' was closed before RabbitMQ confirmed this event in partition " + partition));
    }
}
