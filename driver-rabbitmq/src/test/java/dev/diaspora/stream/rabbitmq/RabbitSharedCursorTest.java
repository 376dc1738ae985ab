package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Consumers of different names reading one partition at the same pace ask the topic for the same position at the
 * same time. The topic keeps subscriptions (cursors) per partition and hands a read the one at its position; two
 * readers must never share one, or one reader's drain moves the position under the other, which then got events of
 * another position under its own (or failed with a NullPointerException on an emptied buffer). Every consumer must
 * see every event once, in order, with its own metadata.
 *
 * <p>Nor may they make a subscription per read: each reader at a position brings the cursor it read with, so readers
 * reading together need no new cursor once each has one. With a fixed cap of 4 cursors the six readers made thousands
 * of subscriptions, and RabbitMQ 3.10.8 keeps an ended subscription's file open until its connection's process
 * collects garbage: its node ran out of file descriptors ({@code emfile}) and dropped the connections, failing a
 * subscribe with a NullPointerException inside the stream client.
 */
@Timeout(120)
class RabbitSharedCursorTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rcursor");

    @Test
    void consumersOfDifferentNamesAtOnePositionNeverShareACursor() throws Exception {
        String name = TOPICS.prefix + "shared";
        int n = 5_000;
        int readers = 6;
        try (Driver driver = Driver.open("rabbitmq", Metadata.of("{\"host\":\"" + RabbitServer.HOST + "\",\"port\":"
                + RabbitServer.STREAM_PORT + "}"))) {
            driver.createTopic(name, Metadata.of("{\"num_partitions\":1}"));
            try (TopicHandle topic = driver.openTopic(name)) {
                try (Producer producer = topic.producer()) {
                    for (int i = 0; i < n; i++) {
                        producer.push(Metadata.of("{\"i\":" + i + "}"), DataView.EMPTY);
                    }
                    producer.flush().get(60, TimeUnit.SECONDS);
                }
                long madeBefore = Cursors.made();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int r = 0; r < readers; r++) {
                    String consumerName = "reader-" + r;
                    Thread t = new Thread(() -> {
                        try (Consumer consumer = topic.consumer(ConsumerOptions.named(consumerName)
                                .batchSize(BatchSize.of(2)))) { // many small reads: many at one position at once
                            start.await();
                            for (int i = 0; i < n; i++) {
                                Event e = consumer.pull().get(30, TimeUnit.SECONDS);
                                assertEquals(i, e.id(), consumerName + ": event id");
                                assertEquals(i, e.metadata().json().get("i").longValue(),
                                        consumerName + ": metadata of event " + i);
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }, "rcursor-" + r);
                    threads.add(t);
                    t.start();
                }
                start.countDown();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(100));
                }
                if (!errors.isEmpty()) {
                    throw new AssertionError(errors.size() + " reader(s) failed, the first: " + errors.peek(),
                            errors.peek());
                }
                long made = Cursors.made() - madeBefore;
                assertTrue(made <= 2L * readers, readers + " readers reading " + n + " events in batches of 2 made "
                        + made + " cursors (subscriptions): one each, a few more at most, is expected");
            }
        }
    }
}
