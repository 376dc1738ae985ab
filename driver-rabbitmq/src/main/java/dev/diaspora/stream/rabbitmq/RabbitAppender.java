package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.Producer;
import com.rabbitmq.stream.Resource;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.RecordAppender;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * RECORD-mode appender: one stream message per event, published by a named stream producer per partition
 * ({@code diaspora-<writer>-<p>}) with publishing ids 0, 1, 2...: the server drops a message whose publishing id it
 * already stored for that name, so the client's re-sends after a reconnect never store an event twice. A send
 * completes when the partition's {@link PartitionTail} sees it committed (its offset gives the EventID), and fails
 * when the broker refuses it.
 *
 * <p>Per event, a send makes the message's encoded section (the event laid out in it once, sent without another
 * copy) and the client's message object; the waiting send is a slot of the partition's {@link SendLane}, which is also
 * the one confirmation handler of the partition's producer.
 *
 * <p>Thread safety: thread-safe; the engine calls {@link #send} in push order per partition.
 */
final class RabbitAppender implements RecordAppender {
    private final RabbitTopic topic;
    private final long writer = ThreadLocalRandom.current().nextLong();
    private final Producer[] producers;
    /** Per partition: whether its producer is recovering a lost connection, and since when. */
    private final Recovery[] recovery;

    /** The recovery state of one partition's producer; guarded by itself. */
    private static final class Recovery {
        boolean recovering;
        /** Recovered since the last send looked: the stream it reattached to may be another incarnation's. */
        boolean recovered;
        long since;
    }
    private final AtomicLongArray sequences;
    /** Per partition: the lane of this appender's waiting sends in the partition's current follower. */
    private final SendLane[] lanes;
    /** Every send not completed yet: {@link #flush} waits for all of them, whatever order they complete in. */
    private final Outstanding outstanding = new Outstanding();

    RabbitAppender(RabbitTopic topic) {
        this.topic = topic;
        this.producers = new Producer[topic.numPartitions()];
        this.recovery = new Recovery[topic.numPartitions()];
        for (int p = 0; p < recovery.length; p++) {
            recovery[p] = new Recovery();
        }
        this.sequences = new AtomicLongArray(topic.numPartitions());
        this.lanes = new SendLane[topic.numPartitions()];
    }

    /** @return this appender's lane in the partition's follower, a new one when the follower was replaced */
    private synchronized SendLane lane(int p) {
        PartitionTail tail = topic.tail(p);
        if (lanes[p] == null || lanes[p].tail != tail) {
            if (lanes[p] != null) {
                lanes[p].tail.detach(lanes[p]);
            }
            lanes[p] = tail.lane(writer, outstanding);
        }
        return lanes[p];
    }

    /** Completes a send that never reached a lane. */
    private void fail(AppendCallback callback, Outstanding.Epoch epoch, Throwable error) {
        try {
            callback.onComplete(-1, error);
        } finally {
            outstanding.end(epoch);
        }
    }

    private synchronized Producer producer(int p) {
        if (producers[p] == null) {
            producers[p] = topic.backend.environment.producerBuilder().stream(topic.stream(p))
                    .name("diaspora-" + Long.toHexString(writer) + "-" + p)
                    .confirmTimeout(topic.backend.config.pushTimeout)
                    .listeners(ctx -> {
                        Recovery r = recovery[p];
                        synchronized (r) {
                            boolean now = ctx.currentState() == Resource.State.RECOVERING;
                            if (now && !r.recovering) {
                                r.since = System.nanoTime();
                            }
                            if (!now && r.recovering) {
                                r.recovered = true;
                            }
                            r.recovering = now;
                            r.notifyAll();
                        }
                    }).build();
        }
        return producers[p];
    }

    /**
     * Waits while the producer of {@code p} recovers a lost connection, until the push timeout has passed since the
     * loss: the client fails a message sent meanwhile at once, while the messages sent before the loss are re-sent
     * after it. Blocks the engine's sending thread as a client's full buffer would, keeping the partition's order.
     *
     * @return whether the producer recovered (or was recovering) since the last call: a stream deleted and created
     *     again under its name is where the client reattaches it, so the caller checks the topic's incarnation
     */
    private boolean awaitOpen(int p) {
        Recovery r = recovery[p];
        synchronized (r) {
            boolean waited = r.recovering;
            long left;
            while (r.recovering && (left = r.since + topic.backend.config.pushTimeout.toNanos() - System.nanoTime())
                    > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(r, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break; // send at once: the client fails the message if the producer is still recovering
                }
            }
            boolean recovered = waited || r.recovered;
            r.recovered = false;
            return recovered;
        }
    }

    @Override
    public void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
        Outstanding.Epoch epoch = outstanding.begin();
        SendLane lane;
        Producer producer;
        try {
            topic.checkLiveSometimes(); // never publish into a topic created again under the name
            lane = lane(partition);
            producer = producer(partition);
        } catch (RuntimeException e) {
            fail(callback, epoch, naming(partition, e));
            return;
        }
        // Publishing ids must reach the client in increasing order (the server drops an id at or below the last one
        // it stored for the name): number and hand over each partition's events under one lock.
        try {
            if (awaitOpen(partition)) {
                topic.checkLive(); // never publish into a topic created again under the name
            }
        } catch (RuntimeException e) {
            fail(callback, epoch, naming(partition, e));
            return;
        }
        synchronized (producer) {
            long seq = sequences.getAndIncrement(partition);
            byte[] section;
            try {
                section = Layout.event(writer, seq, metadata, data);
            } catch (RuntimeException e) {
                fail(callback, epoch, e);
                return;
            }
            lane.tail.expect(lane, seq, callback, epoch);
            try {
                producer.send(new DataSectionCodec.DataMessage(section, seq), lane);
            } catch (RuntimeException e) {
                lane.complete(seq, -1, e);
            }
        }
    }

    /**
     * @return a retriable failure of a push (the server unreachable while the topic is checked) as one naming the
     *     partition and its stream, like the failures of the pushes that were waiting; other errors as they are
     */
    private RuntimeException naming(int partition, RuntimeException e) {
        if (!(e instanceof DiasporaException d) || !d.isRetriable() || e instanceof TopicNotFoundException) {
            return e;
        }
        return new DiasporaException("partition " + partition + " of topic '" + topic.name() + "' (stream '"
                + topic.stream(partition) + "'): " + d.getMessage(), d, true);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return outstanding.flush();
    }

    @Override
    public synchronized void close() {
        for (int p = 0; p < producers.length; p++) {
            if (producers[p] != null) {
                producers[p].close();
                producers[p] = null;
            }
            if (lanes[p] != null) {
                lanes[p].tail.detach(lanes[p]);
                lanes[p] = null;
            }
        }
    }
}
