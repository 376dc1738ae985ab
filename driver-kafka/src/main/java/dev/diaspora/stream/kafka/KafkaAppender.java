package dev.diaspora.stream.kafka;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.RecordAppender;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * RECORD-mode appender: one {@code KafkaProducer.send} per event (idempotent, acks=all); the offset is the EventID.
 * The record is laid out in the topic's {@link RecordFraming}. An acknowledged send completes once the topic's
 * incarnation is confirmed by a check begun after the acknowledgement ({@link KafkaIncarnation#ticket}), so no push
 * succeeds into a topic re-created under the name.
 *
 * <p>Completion: each send is its own Kafka callback ({@link Send}); acknowledgements and Kafka's errors queue, in
 * the order Kafka reports them (per partition, send order), in one array ring, without allocating; a round of
 * incarnation checks releases its acknowledgements together, and the backend's completion thread completes them in
 * ring order, one hand-off per round rather than per event. {@link #flush} waits for the last send of each partition.
 *
 * <p>Thread safety: thread-safe; the engine calls {@link #send} in push order per partition.
 */
final class KafkaAppender implements RecordAppender, KafkaIncarnation.Listener {
    private static final int INITIAL_RING = 1024;
    private static final int DRAIN_CHUNK = 256;

    private final KafkaTopic topic;
    /** Per partition, the newest send handed to Kafka (Kafka completes a producer's sends of a partition in order). */
    private volatile Lane[] lanes = new Lane[0];
    private final Object lock = new Object();
    /** Acknowledged or failed sends in report order: [head, ready) may complete, [ready, tail) wait for a round. */
    private Send[] ring = new Send[INITIAL_RING]; // guarded by lock; length a power of two
    private long head; // guarded by lock
    private long ready; // guarded by lock
    private long tail; // guarded by lock
    private boolean drainQueued; // guarded by lock
    private final List<FlushWaiter> flushes = new ArrayList<>(); // guarded by lock
    private final Runnable drainTask = this::drain;
    private volatile boolean closed;

    private static final class Lane {
        volatile Send last;
    }

    private record FlushWaiter(Send[] sends, CompletableFuture<Void> done) {
        boolean reached() {
            for (Send s : sends) {
                if (!s.done) {
                    return false;
                }
            }
            return true;
        }
    }

    KafkaAppender(KafkaTopic topic) {
        this.topic = topic;
        topic.incarnation.addListener(this);
    }

    /** One event on its way: Kafka's callback for its record, then an entry of the ring. */
    private final class Send implements Callback {
        final int partition;
        final AppendCallback callback;
        final Thread sender;
        boolean inSend; // written by the sender only
        Throwable syncError; // a failure Kafka reported inside send(), on the sender's thread
        long id = -1; // the offset once acknowledged
        Throwable error; // guarded by lock once queued
        long round; // the incarnation round that decides an acknowledgement; 0 for a failure
        volatile boolean done;

        Send(int partition, AppendCallback callback) {
            this.partition = partition;
            this.callback = callback;
            this.sender = Thread.currentThread();
        }

        @Override
        public void onCompletion(RecordMetadata md, Exception err) {
            if (err != null && inSend && Thread.currentThread() == sender) {
                syncError = err; // send() completes it on return, before any later send
                return;
            }
            if (err != null) {
                TopicNotFoundException gone = topic.incarnation.gone();
                error = gone != null ? gone : translate(partition, err);
                queue(this, false);
            } else {
                id = md.offset();
                queue(this, true);
            }
        }

        /** Completion thread (or the sender, for a failure inside send()). */
        void complete() {
            try {
                callback.onComplete(error == null ? id : -1, error);
            } finally {
                done = true;
            }
        }
    }

    @Override
    public void send(int partition, ByteBuffer metadata, DataView data, AppendCallback callback) {
        Send s = new Send(partition, callback);
        TopicNotFoundException gone = topic.incarnation.gone();
        if (gone != null) { // never send into a name whose topic was replaced: Kafka would store it there
            failNow(s, gone);
            return;
        }
        ProducerRecord<byte[], byte[]> record;
        try {
            record = topic.framing.record(topic.name, partition, metadata, data, topic.mark());
        } catch (RuntimeException e) {
            failNow(s, e);
            return;
        }
        s.inSend = true;
        try {
            topic.backend.producer.send(record, s);
        } catch (RuntimeException e) {
            s.inSend = false;
            failNow(s, translate(partition, e));
            return;
        }
        s.inSend = false;
        if (s.syncError != null) {
            TopicNotFoundException g = topic.incarnation.gone();
            failNow(s, g != null ? g : translate(partition, s.syncError));
            return;
        }
        lane(partition).last = s;
    }

    private static void failNow(Send s, Throwable e) {
        s.error = e;
        s.complete();
    }

    private Lane lane(int partition) {
        Lane[] ls = lanes;
        if (partition < ls.length) {
            return ls[partition];
        }
        synchronized (lock) {
            ls = lanes;
            if (partition >= ls.length) {
                Lane[] grown = Arrays.copyOf(ls, partition + 1);
                for (int i = ls.length; i < grown.length; i++) {
                    grown[i] = new Lane();
                }
                lanes = grown;
                ls = grown;
            }
            return ls[partition];
        }
    }

    /** Kafka's I/O thread: queues an acknowledgement (for the next round of checks) or a failure. */
    private void queue(Send s, boolean acknowledged) {
        boolean drainNow = false;
        synchronized (lock) {
            s.round = acknowledged ? topic.incarnation.ticket() : 0;
            if (tail - head == ring.length) {
                grow();
            }
            ring[(int) tail & (ring.length - 1)] = s;
            tail++;
            if (!acknowledged && ready == tail - 1) { // nothing waits before it
                ready = tail;
                drainNow = !drainQueued;
                drainQueued = true;
            }
        }
        if (drainNow) {
            topic.backend.complete(drainTask);
        }
    }

    private void grow() {
        Send[] bigger = new Send[ring.length * 2];
        for (long i = head; i < tail; i++) {
            bigger[(int) i & (bigger.length - 1)] = ring[(int) i & (ring.length - 1)];
        }
        ring = bigger;
    }

    /** Completion thread: round {@code round} answered; its acknowledgements (and failures behind them) may complete. */
    @Override
    public void confirmed(long round, Throwable failure) {
        synchronized (lock) {
            while (ready < tail) {
                Send s = ring[(int) ready & (ring.length - 1)];
                if (s.round > round) {
                    break;
                }
                if (s.round > 0 && failure != null) {
                    s.error = failure;
                }
                ready++;
            }
        }
        drain();
    }

    /** Completion thread: completes the ready sends in ring order, a chunk at a time, outside the lock. */
    private void drain() {
        Send[] chunk = null; // the sends of one step, completed outside the lock
        while (true) {
            int n = 0;
            synchronized (lock) {
                drainQueued = false;
                if (chunk == null && head < ready) {
                    chunk = new Send[(int) Math.min(DRAIN_CHUNK, ready - head)];
                }
                while (head < ready && n < chunk.length) {
                    int i = (int) head & (ring.length - 1);
                    chunk[n++] = ring[i];
                    ring[i] = null;
                    head++;
                }
            }
            if (n == 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                Send s = chunk[i];
                chunk[i] = null;
                try {
                    s.complete();
                } catch (RuntimeException e) { // a completion must not stop the others
                    topic.backend.errors.onError("kafka: a push completion failed; the other completions go on", e);
                }
            }
        }
        completeFlushes();
        removeListenerIfIdle();
    }

    private void completeFlushes() {
        List<FlushWaiter> reached = null;
        synchronized (lock) {
            if (flushes.isEmpty()) {
                return;
            }
            for (Iterator<FlushWaiter> it = flushes.iterator(); it.hasNext(); ) {
                FlushWaiter w = it.next();
                if (w.reached()) {
                    it.remove();
                    if (reached == null) {
                        reached = new ArrayList<>();
                    }
                    reached.add(w);
                }
            }
        }
        if (reached != null) {
            for (FlushWaiter w : reached) {
                w.done().complete(null);
            }
        }
    }

    private Throwable translate(int partition, Throwable err) {
        if (err instanceof RecordTooLargeException) {
            return new EventTooLargeException("partition " + partition + " of topic '" + topic.name + "': the event"
                    + " is larger than Kafka accepts: raise the driver option 'max_event_size' (now "
                    + topic.backend.config.maxEventSize + " bytes; it sets the producer's max.request.size), and for a"
                    + " topic not created by the driver its max.message.bytes: " + err.getMessage(), err);
        }
        if (err instanceof DiasporaException) {
            return err;
        }
        // Kafka's retriable errors (a lost leader, too few in-sync replicas, a delivery timeout): the push may succeed
        // when tried again; whether this one was stored is unknown (see the README, "Brokers lost")
        boolean retriable = err instanceof RetriableException;
        String why = err instanceof TimeoutException ? " within delivery.timeout.ms (a 'kafka' option): the partition's"
                + " leader was unreachable or had fewer in-sync replicas than the topic's min.insync.replicas"
                + " until the timeout; the event may or may not be stored" : "";
        return new DiasporaException("partition " + partition + " of topic '" + topic.name + "': Kafka could not"
                + " store the event" + why + (retriable ? " (retriable: push it again once the cluster recovers)"
                : "") + ": " + err, err, retriable);
    }

    @Override
    public CompletableFuture<Void> flush() {
        List<Send> pending = new ArrayList<>();
        for (Lane l : lanes) {
            Send s = l.last;
            if (s != null && !s.done) {
                pending.add(s);
            }
        }
        if (pending.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        FlushWaiter w = new FlushWaiter(pending.toArray(new Send[0]), new CompletableFuture<>());
        synchronized (lock) {
            flushes.add(w);
        }
        completeFlushes(); // the sends may have completed meanwhile
        return w.done();
    }

    /**
     * Stops listening to the incarnation's rounds once nothing is pending: a send still in Kafka or in the ring (a
     * flush that timed out) completes first.
     */
    @Override
    public void close() {
        closed = true;
        removeListenerIfIdle();
    }

    private void removeListenerIfIdle() {
        if (!closed) {
            return;
        }
        synchronized (lock) {
            if (head != tail) {
                return;
            }
        }
        for (Lane l : lanes) {
            Send s = l.last;
            if (s != null && !s.done) {
                return;
            }
        }
        topic.incarnation.removeListener(this);
    }
}
