package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Consumer;
import com.rabbitmq.stream.ConsumerFlowStrategy;
import com.rabbitmq.stream.OffsetSpecification;
import com.rabbitmq.stream.Resource;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.RecordAppender.AppendCallback;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
 * <p>The waiting sends are kept per appender ({@link SendLane}, a ring by publishing id): a message seen costs a
 * scan of this handle's appenders of the partition (usually one) and a ring slot, no key object or map entry. The
 * follower reads only the writer and the sequence of each message, in place in the array the client read it into.
 *
 * <p>Thread safety: thread-safe; deliveries and state changes arrive on the client's threads, the sweep on the
 * driver's scheduler.
 */
final class PartitionTail implements AutoCloseable {
    private static final SendLane[] NONE = {};

    private final RabbitTopic topic;
    private final int partition;
    private final String stream;
    private final long timeoutNanos;
    /** The lanes of this handle's appenders writing to the partition; copied on write under this. */
    private volatile SendLane[] lanes = NONE;
    private final Consumer consumer;
    private volatile ScheduledFuture<?> sweep;
    /** Why the follower is not following now (null while it is), and since when. */
    private volatile String trouble;
    private volatile long troubleSince;
    private volatile boolean closing;
    private volatile boolean dead;
    /** Messages of the current chunk not delivered yet: used on the client's dispatch thread of the follower only. */
    private long left;

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
                .flow().strategy(new Flow()).builder()
                .messageHandler((ctx, message) -> {
                    seen(ctx.offset(), DataSectionCodec.array(message), DataSectionCodec.start(message));
                    arrived();
                }).build();
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

    /** @return a new lane for the sends of the appender {@code writer}, counted in {@code outstanding} */
    synchronized SendLane lane(long writer, Outstanding outstanding) {
        SendLane lane = new SendLane(writer, this, outstanding);
        SendLane[] l = Arrays.copyOf(lanes, lanes.length + 1);
        l[l.length - 1] = lane;
        lanes = l;
        return lane;
    }

    /** The appender of {@code lane} closed: the lane goes now if no send waits in it, else once none does. */
    void detach(SendLane lane) {
        lane.detached = true;
        dropDetached();
    }

    private synchronized void dropDetached() {
        SendLane[] l = lanes;
        SendLane[] n = new SendLane[l.length];
        int k = 0;
        for (SendLane x : l) { // one pass: a lane may empty between two looks (its last send completes meanwhile)
            if (!x.detached || !x.isEmpty()) {
                n[k++] = x;
            }
        }
        if (k < l.length) {
            lanes = Arrays.copyOf(n, k);
        }
    }

    /** Registers send {@code sequence} of {@code lane} before it is published. */
    void expect(SendLane lane, long sequence, AppendCallback callback, Outstanding.Epoch epoch) {
        lane.add(sequence, callback, epoch);
        if (dead) { // closed between the caller's check and now: nobody would see the message
            lane.complete(sequence, -1, new DiasporaException(failureText("the follower subscription is closed"),
                    null, true));
        }
    }

    /** @return the error of a publish the broker refused or the client gave up on */
    DiasporaException publishFailure(short code) {
        return topic.publishFailure(partition, code);
    }

    private void seen(long offset, byte[] a, int s) {
        if (a != null && Layout.kind(a, s) == Layout.KIND_EVENT) {
            long writer = Layout.writer(a, s);
            for (SendLane lane : lanes) {
                if (lane.writer == writer) {
                    lane.complete(Layout.sequence(a, s), offset - 1, null);
                    break;
                }
            }
        }
    }

    /**
     * The follower's flow strategy: the client's default ({@code creditOnChunkArrival(10)}: ten chunks, then one more
     * as each arrives), and it counts each chunk's messages so that the handle's readers are woken once per chunk,
     * after its last message, rather than once per message (a monitor and a {@code notifyAll} each). Readers with a
     * cursor are woken by their own subscription anyway; this wakes them as soon as the producer side sees a chunk.
     */
    private final class Flow implements ConsumerFlowStrategy {
        @Override
        public int initialCredits() {
            return 10;
        }

        @Override
        public MessageProcessedCallback start(Context context) {
            context.credits(1);
            left = context.messageCount(); // the chunk's messages are delivered (or skipped) next, on this thread
            return skipped -> arrived(); // the client skips the messages before the subscription's offset
        }
    }

    /** One message of the current chunk was delivered or skipped: the last one wakes the handle's readers. */
    private void arrived() {
        if (--left == 0) {
            topic.notifier().changed();
        }
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

    /** @return the sends waiting since more than {@code timeoutNanos} (all if negative), oldest first */
    private List<SendLane.Waiting> waiting(long now, long timeoutNanos) {
        List<SendLane.Waiting> out = new ArrayList<>();
        for (SendLane lane : lanes) {
            lane.waiting(now, timeoutNanos, out);
        }
        out.sort(Comparator.comparingLong(SendLane.Waiting::since).thenComparingLong(SendLane.Waiting::sequence));
        return out;
    }

    private void sweep() {
        dropDetached();
        long now = System.nanoTime();
        List<SendLane.Waiting> expired = waiting(now, timeoutNanos);
        if (expired.isEmpty()) {
            return;
        }
        String t = trouble;
        long ms = topic.backend.config.pushTimeout.toMillis();
        for (SendLane.Waiting w : expired) {
            String cause;
            if (t != null) {
                cause = t + " (for " + (now - troubleSince) / 1_000_000 + " ms)";
            } else if (w.confirmed()) {
                cause = "the server confirmed it, but the follower subscription did not deliver it within " + ms
                        + " ms";
            } else {
                cause = "the server did not confirm it within " + ms + " ms (is the connection to "
                        + topic.backend.config.address() + " lost?)";
            }
            w.lane().complete(w.sequence(), -1, new DiasporaException(failureText(cause
                    + "; bound: option 'push_timeout_ms'"), null, true));
        }
    }

    private void failAll(DiasporaException error) {
        for (SendLane.Waiting w : waiting(0, -1)) {
            w.lane().complete(w.sequence(), -1, error);
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
