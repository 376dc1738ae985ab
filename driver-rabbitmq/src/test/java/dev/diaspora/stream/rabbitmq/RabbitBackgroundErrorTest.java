package dev.diaspora.stream.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.Metadata;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The push timeout sweep runs on the driver's scheduler at a fixed rate: a failure in it (here a completion callback
 * that throws) used to end the sweep for good, in silence, so later pushes of the partition could wait forever. It now
 * reaches the driver's {@link BackgroundErrorHandler} and the sweep goes on (a second timed-out send is reported too).
 */
@Timeout(60)
class RabbitBackgroundErrorTest {
    @RegisterExtension
    static final RabbitServer.Topics TOPICS = new RabbitServer.Topics("rbgerr");

    @Test
    void aFailingSweepReachesTheHandlerAndTheSweepGoesOn() throws Exception {
        List<String> reports = new CopyOnWriteArrayList<>();
        BackgroundErrorHandler handler = (where, e) -> reports.add(where + " | " + e.getMessage() + " | "
                + Thread.currentThread().getName());
        RabbitDriverProvider provider = new RabbitDriverProvider();
        RabbitConfig config = RabbitConfig.from(provider.options().validate(Metadata.of("{\"host\":\""
                + RabbitServer.HOST + "\",\"port\":" + RabbitServer.STREAM_PORT + ",\"push_timeout_ms\":1000}"),
                "driver"));
        String name = TOPICS.prefix + "sweep";
        try (RabbitBackend backend = new RabbitBackend(config, handler)) {
            backend.createTopic(name, provider.topicOptions().validate(Metadata.of("{\"num_partitions\":1}"),
                    "topic"), Metadata.of("{}"));
            try (RabbitTopic topic = (RabbitTopic) backend.openTopic(name)) {
                PartitionTail tail = topic.tail(0);
                Outstanding outstanding = new Outstanding();
                SendLane lane = tail.lane(1, outstanding);
                tail.expect(lane, 1, (id, err) -> {
                    throw new IllegalStateException("callback bug 1");
                }, outstanding.begin());
                tail.expect(lane, 2, (id, err) -> {
                    throw new IllegalStateException("callback bug 2");
                }, outstanding.begin());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (reports.size() < 2) {
                    assertTrue(System.nanoTime() < deadline, "the sweep stopped: " + reports);
                    Thread.sleep(20);
                }
                String stream = "rabbitmq: " + topic.stream(0) + ": the push timeout sweep failed; it goes on | ";
                assertTrue(reports.get(0).startsWith(stream + "callback bug 1 | diaspora-rabbitmq-scheduler-"),
                        reports.toString());
                assertTrue(reports.get(1).startsWith(stream + "callback bug 2 | "), reports.toString());
            }
        }
    }
}
