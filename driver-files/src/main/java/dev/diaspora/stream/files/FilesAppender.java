package dev.diaspora.stream.files;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.OutgoingBatch;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * One producer's appender: hands batches to the topic's I/O thread and remembers, per partition, which of its
 * batches must fail because an earlier one failed (STRICT ordering).
 *
 * <p>Thread safety: thread-safe.
 */
final class FilesAppender implements BatchAppender {
    private final FilesTopic topic;
    private long[] lastSequence; // guarded by this; grown when partitions are added
    private long[] failedUpTo; // guarded by this; grown when partitions are added
    private DiasporaException[] failure; // guarded by this: the last failure per partition; grown likewise

    FilesAppender(FilesTopic topic, AppenderConfig config) {
        this.topic = topic;
        int n = topic.numPartitions();
        this.lastSequence = new long[n];
        this.failedUpTo = new long[n];
        Arrays.fill(failedUpTo, -1);
        this.failure = new DiasporaException[n];
    }

    @Override
    public void append(int partition, OutgoingBatch batch, CompletableFuture<Long> done) {
        topic.submit(this, partition, batch, done);
    }

    synchronized long nextSequence(int p) {
        if (p >= lastSequence.length) { // the topic grew since this appender was made
            int old = lastSequence.length;
            lastSequence = Arrays.copyOf(lastSequence, p + 1);
            failedUpTo = Arrays.copyOf(failedUpTo, p + 1);
            Arrays.fill(failedUpTo, old, p + 1, -1);
            failure = Arrays.copyOf(failure, p + 1);
        }
        return ++lastSequence[p];
    }

    /** @return true if batch {@code seq} of {@code p} was handed over before a failure of this appender */
    synchronized boolean failedBefore(int p, long seq) {
        return seq <= failedUpTo[p];
    }

    /** Records a failure: every batch of {@code p} handed over so far fails, with {@code error} as the cause. */
    synchronized void failed(int p, DiasporaException error) {
        failedUpTo[p] = lastSequence[p];
        failure[p] = error;
    }

    /** @return the last failure recorded for {@code p}, or null */
    synchronized DiasporaException failure(int p) {
        return failure[p];
    }
}
