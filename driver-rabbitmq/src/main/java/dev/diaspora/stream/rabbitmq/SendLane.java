package dev.diaspora.stream.rabbitmq;

import com.rabbitmq.stream.ConfirmationHandler;
import com.rabbitmq.stream.ConfirmationStatus;
import dev.diaspora.stream.spi.RecordAppender.AppendCallback;
import java.util.List;

/**
 * The sends of one appender (one writer id) to one partition that wait for the partition's {@link PartitionTail} to
 * see them, by publishing id. An appender numbers each partition's sends 0, 1, 2..., so the waiting ones lie in a
 * window of ids and live in a ring of parallel arrays indexed by id: registering, confirming and completing a send
 * makes no object and no map entry (the callback and the flush epoch the engine and the appender hand over are kept
 * as they are). Also the producer's confirmation handler of the partition: one for all its sends, the publishing id
 * of the confirmed message naming the send.
 *
 * <p>Thread safety: thread-safe; the ring is guarded by this, callbacks run outside the lock.
 */
final class SendLane implements ConfirmationHandler {
    /** A send found waiting too long by the follower's sweep. */
    record Waiting(SendLane lane, long sequence, long since, boolean confirmed) {
    }

    final long writer;
    final PartitionTail tail;
    private final Outstanding outstanding;
    // the ring, guarded by this: slot (sequence & mask) holds the send of that sequence if callbacks[slot] != null
    private long[] sequences = new long[64];
    private AppendCallback[] callbacks = new AppendCallback[64];
    private Outstanding.Epoch[] epochs = new Outstanding.Epoch[64];
    private long[] since = new long[64];
    private boolean[] confirmed = new boolean[64];
    /** Every waiting sequence is in [low, high). */
    private long low;
    private long high;
    private int count;
    /** The appender closed: the tail drops the lane once it is empty. */
    volatile boolean detached;

    SendLane(long writer, PartitionTail tail, Outstanding outstanding) {
        this.writer = writer;
        this.tail = tail;
        this.outstanding = outstanding;
    }

    /** Registers send {@code sequence}, above every sequence registered before. */
    synchronized void add(long sequence, AppendCallback callback, Outstanding.Epoch epoch) {
        if (count == 0) {
            low = sequence;
        }
        if (sequence - low >= sequences.length) {
            grow(sequence - low + 1);
        }
        int i = (int) sequence & (sequences.length - 1);
        sequences[i] = sequence;
        callbacks[i] = callback;
        epochs[i] = epoch;
        since[i] = System.nanoTime();
        confirmed[i] = false;
        high = sequence + 1;
        count++;
    }

    private void grow(long span) {
        int n = sequences.length;
        while (n < span) {
            n *= 2;
        }
        long[] q = new long[n];
        AppendCallback[] c = new AppendCallback[n];
        Outstanding.Epoch[] e = new Outstanding.Epoch[n];
        long[] t = new long[n];
        boolean[] f = new boolean[n];
        for (long s = low; s < high; s++) {
            int i = slot(s);
            if (i >= 0) {
                int j = (int) s & (n - 1);
                q[j] = s;
                c[j] = callbacks[i];
                e[j] = epochs[i];
                t[j] = since[i];
                f[j] = confirmed[i];
            }
        }
        sequences = q;
        callbacks = c;
        epochs = e;
        since = t;
        confirmed = f;
    }

    /** @return the slot of a waiting send, or -1; caller holds the lock */
    private int slot(long sequence) {
        if (sequence < low || sequence >= high) {
            return -1;
        }
        int i = (int) sequence & (sequences.length - 1);
        return callbacks[i] != null && sequences[i] == sequence ? i : -1;
    }

    /** The broker confirmed a send: it is stored, and waits only to be seen. */
    synchronized void confirmed(long sequence) {
        int i = slot(sequence);
        if (i >= 0) {
            confirmed[i] = true;
        }
    }

    /**
     * Completes send {@code sequence} with its EventID, or with {@code error}, if it still waits.
     *
     * @return whether it waited
     */
    boolean complete(long sequence, long id, Throwable error) {
        AppendCallback callback;
        Outstanding.Epoch epoch;
        synchronized (this) {
            int i = slot(sequence);
            if (i < 0) {
                return false;
            }
            callback = callbacks[i];
            epoch = epochs[i];
            callbacks[i] = null;
            epochs[i] = null;
            if (--count == 0) {
                low = high;
            } else if (sequence == low) {
                while (low < high && callbacks[(int) low & (sequences.length - 1)] == null) {
                    low++;
                }
            }
        }
        try {
            callback.onComplete(id, error);
        } finally {
            outstanding.end(epoch);
        }
        return true;
    }

    /** Adds the sends waiting since more than {@code timeoutNanos} before {@code now} (all if negative) to {@code out}. */
    synchronized void waiting(long now, long timeoutNanos, List<Waiting> out) {
        for (long s = low; s < high; s++) {
            int i = slot(s);
            if (i >= 0 && (timeoutNanos < 0 || now - since[i] > timeoutNanos)) {
                out.add(new Waiting(this, s, since[i], confirmed[i]));
            }
        }
    }

    synchronized boolean isEmpty() {
        return count == 0;
    }

    /** The producer's confirmation of one send, named by the message's publishing id. */
    @Override
    public void handle(ConfirmationStatus status) {
        long sequence = status.getMessage().getPublishingId();
        if (status.isConfirmed()) {
            confirmed(sequence);
        } else {
            complete(sequence, -1, tail.publishFailure(status.getCode()));
        }
    }
}
