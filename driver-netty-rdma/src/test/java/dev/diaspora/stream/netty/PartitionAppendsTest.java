package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Ordering;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.files.DirectAppends;
import dev.diaspora.stream.files.FilesDriverProvider;
import dev.diaspora.stream.spi.BatchAppender;
import dev.diaspora.stream.spi.AppenderConfig;
import dev.diaspora.stream.spi.Backend;
import dev.diaspora.stream.spi.Clock;
import dev.diaspora.stream.spi.ForwardingLocalTopic;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.OutgoingBatch;
import dev.diaspora.stream.spi.TopicBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PartitionAppends} over a real {@code files} topic: the log end each INTENT record carries is kept from the
 * appends' own answers, not read from the log's files before every append (which cost more than the append); a small
 * batch is stored on the calling thread (no files I/O thread, no hand-off back), a large one through the files
 * appender.
 */
class PartitionAppendsTest {
    private static final long PRODUCER = 7;
    private static final int COUNT = 3;

    @Test
    void shouldReadTheLogEndOnceAndStillRecordTheRightEndForEveryBatch(@TempDir Path dir) throws Exception {
        Backend storage = storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            CountingBounds counting = new CountingBounds((LocalTopic) topic);
            BatchAppender appender = (BatchAppender) topic.appender(new AppenderConfig("test", PRODUCER, Integer.MAX_VALUE,
                    Ordering.STRICT));
            Path state = dir.resolve("producer-state");
            int batches = 20;
            PartitionAppends appends = new PartitionAppends(counting, 0, state, System::currentTimeMillis);
            for (int s = 0; s < batches; s++) {
                assertEquals((long) s * COUNT, appends.submit(appender, batch(s)).get());
            }
            assertEquals(1, counting.calls.get(), "the log end is read when the partition's appends open, not"
                    + " before each append");
            appends.close();

            // the journal's intents carry the right ends: reopened, it knows every batch as stored (a retry of any
            // recent one is answered with its first id, not stored again)
            PartitionAppends reopened = new PartitionAppends(counting, 0, state, System::currentTimeMillis);
            for (int s = batches - 5; s < batches; s++) {
                assertEquals((long) s * COUNT, reopened.submit(appender, batch(s)).get());
            }
            assertEquals((long) batches * COUNT, counting.bounds(0).next());
            reopened.close();
            appender.close();
            topic.close();
        } finally {
            storage.close();
        }
    }

    @Test
    void shouldStoreSmallBatchesOnTheCallingThreadAndLargeOnesThroughTheFilesAppender(@TempDir Path dir)
            throws Exception {
        Backend storage = storage(dir);
        try {
            TopicBackend topic = storage.openTopic("t");
            BatchAppender appender = (BatchAppender) topic.appender(new AppenderConfig("test", PRODUCER,
                    Integer.MAX_VALUE, Ordering.STRICT));
            PartitionAppends appends = new PartitionAppends((LocalTopic) topic, 0, dir.resolve("producer-state"),
                    System::currentTimeMillis, FROZEN); // no write looks slow, however loaded the machine
            Set<Thread> before = ioThreads();
            for (int s = 0; s < 5; s++) {
                CompletableFuture<Long> f = appends.submit(appender, batch(s));
                assertTrue(f.isDone(), "a small batch is stored before submit returns, on the calling thread");
                assertEquals((long) s * COUNT, f.get());
            }
            assertEquals(before, ioThreads(), "no files I/O thread was started for small batches");
            byte[] big = new byte[(int) PartitionAppends.DIRECT_MAX_BYTES + 1];
            OutgoingBatch large = new OutgoingBatch(1, "{}".getBytes(StandardCharsets.US_ASCII), new int[] {0, 2},
                    new DataView[] {DataView.of(big)}, null, PRODUCER, 5);
            assertEquals(5L * COUNT, appends.submit(appender, large).get(10, TimeUnit.SECONDS));
            Set<Thread> after = ioThreads();
            after.removeAll(before);
            assertEquals(1, after.size(), "a large batch goes through the files appender's I/O thread: " + after);
            assertEquals(5L * COUNT + 1, ((LocalTopic) topic).bounds(0).next());
            appends.close();
            appender.close();
            topic.close();
        } finally {
            storage.close();
        }
    }

    /**
     * Two small batches in a row whose writes on the calling thread were slow (a throttled device) send the next
     * batches through the files appender for a second; then they are written on the calling thread again.
     */
    @Test
    void shouldStopWritingOnTheCallingThreadForASecondAfterTwoSlowWrites(@TempDir Path dir) throws Exception {
        try (SlowSetup t = new SlowSetup(dir, 2)) {
            assertTrue(t.submit(0).isDone(), "written on the calling thread");
            assertTrue(t.submit(1).isDone(), "written on the calling thread after one slow write");
            assertEquals(2, t.slow.direct.get());
            // both writes were slow: the next batches, within a second, go through the files I/O thread
            for (int s = 2; s < 5; s++) {
                t.now.addAndGet(100_000_000L);
                assertEquals((long) s * COUNT, t.submit(s).get(10, TimeUnit.SECONDS));
            }
            assertEquals(2, t.slow.direct.get(), "no write on the calling thread within a second of two slow ones");
            t.now.addAndGet(PartitionAppends.DIRECT_PAUSE_NANOS);
            // (the queue may still be run by the I/O thread that completed batch 4: count the direct writes)
            assertEquals(5L * COUNT, t.submit(5).get(10, TimeUnit.SECONDS));
            assertEquals(3, t.slow.direct.get(), "written directly again after the pause");
        }
    }

    /**
     * One slow write alone (a collection pause, a lost time slice) is followed by fast ones: the batches stay on the
     * calling thread, since the files appender would cost each of them two thread hand-offs for a second.
     */
    @Test
    void shouldKeepWritingOnTheCallingThreadAfterOneSlowWrite(@TempDir Path dir) throws Exception {
        try (SlowSetup t = new SlowSetup(dir, 1)) {
            for (int s = 0; s < 5; s++) {
                t.now.addAndGet(100_000L);
                CompletableFuture<Long> f = t.submit(s);
                assertTrue(f.isDone(), "batch " + s + " written on the calling thread");
                assertEquals((long) s * COUNT, f.get());
            }
            assertEquals(5, t.slow.direct.get());
        }
    }

    /** A files topic whose first direct writes are slow on a test clock, and the partition's appends over it. */
    private static final class SlowSetup implements AutoCloseable {
        final AtomicLong now = new AtomicLong(1_000_000_000L);
        final Backend storage;
        final TopicBackend topic;
        final BatchAppender appender;
        final SlowFirst slow;
        final PartitionAppends appends;

        SlowSetup(Path dir, int slowWrites) {
            storage = storage(dir);
            topic = storage.openTopic("t");
            appender = (BatchAppender) topic.appender(new AppenderConfig("test", PRODUCER, Integer.MAX_VALUE,
                    Ordering.STRICT));
            slow = new SlowFirst((LocalTopic) topic, now, slowWrites);
            appends = new PartitionAppends(slow, 0, dir.resolve("producer-state"), System::currentTimeMillis,
                    clock(now));
        }

        CompletableFuture<Long> submit(int sequence) {
            return appends.submit(appender, batch(sequence));
        }

        @Override
        public void close() {
            try {
                appends.close();
                appender.close();
                topic.close();
            } finally {
                storage.close();
            }
        }
    }

    private static Clock clock(AtomicLong now) {
        return new Clock() {
            @Override
            public long nanoTime() {
                return now.get();
            }

            @Override
            public void sleepNanos(long nanos) {
                now.addAndGet(nanos);
            }
        };
    }

    /** The files topic, its first {@code slow} direct writes taking 11 ms each on the given clock. */
    private static final class SlowFirst extends ForwardingLocalTopic implements DirectAppends {
        final AtomicInteger direct = new AtomicInteger();
        private final AtomicLong now;
        private final int slow;

        SlowFirst(LocalTopic delegate, AtomicLong now, int slow) {
            super(delegate);
            this.now = now;
            this.slow = slow;
        }

        @Override
        public boolean directAppends() {
            return true;
        }

        @Override
        public void exclusiveWriter(boolean on) {
            ((DirectAppends) delegate).exclusiveWriter(on);
        }

        @Override
        public long appendNow(int partition, OutgoingBatch batch) {
            if (direct.getAndIncrement() < slow) {
                now.addAndGet(PartitionAppends.SLOW_DIRECT_NANOS + 1_000_000L);
            }
            return ((DirectAppends) delegate).appendNow(partition, batch);
        }
    }

    /** A clock that does not move. */
    private static final Clock FROZEN = new Clock() {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public void sleepNanos(long nanos) {
        }
    };

    /** @return the live I/O threads of files topics */
    private static Set<Thread> ioThreads() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("diaspora-files-io-") && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    /** @return a files storage under {@code dir} holding topic "t" of one partition */
    private static Backend storage(Path dir) {
        FilesDriverProvider files = new FilesDriverProvider();
        Backend storage = files.open(files.options().validate(Metadata.of("{\"root_path\":"
                + "\"" + dir.resolve("topics") + "\"" + "}"), "test storage"));
        storage.createTopic("t", files.topicOptions().validate(Metadata.of("{\"num_partitions\":1}"), "t"),
                Metadata.of("{}"));
        return storage;
    }

    private static OutgoingBatch batch(long sequence) {
        byte[] md = "{}{}{}".getBytes(StandardCharsets.US_ASCII);
        DataView[] data = new DataView[COUNT];
        for (int i = 0; i < COUNT; i++) {
            data[i] = DataView.of(new byte[] {(byte) sequence, (byte) i});
        }
        return new OutgoingBatch(COUNT, md, new int[] {0, 2, 4, 6}, data, null, PRODUCER, sequence);
    }

    /** The files topic, counting the calls of {@link #bounds}. */
    private static final class CountingBounds extends ForwardingLocalTopic {
        final AtomicInteger calls = new AtomicInteger();

        CountingBounds(LocalTopic delegate) {
            super(delegate);
        }

        @Override
        public PartitionBounds bounds(int p) {
            calls.incrementAndGet();
            return super.bounds(p);
        }
    }
}
