package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An idle tailing consumer's fetch thread sleeps in the session until something is due (about once a second with the
 * default ack interval and poll interval), not every 100 ms; new events still wake it at once.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IdleFetchTest extends EngineRuleFixture {
    @Test
    void anIdleConsumerReadsItsPartitionAboutOnceASecondAndAPushWakesIt() throws Exception {
        TopicHandle topic = newTopic(1);
        try (Consumer c = topic.consumer(ConsumerOptions.named("idle").targets(0));
                Producer producer = topic.producer()) {
            CompletableFuture<Event> waiting = c.pull();
            Thread.sleep(500); // settled: the first reads are done
            long before = LogTestDriver.READS.get();
            Thread.sleep(2_000);
            long reads = LogTestDriver.READS.get() - before;
            // one read per wake-up: about 2 in 2 s now, 20 with the former 100 ms slice; load only lowers the count
            assertTrue(reads <= 6, "an idle consumer read its partition " + reads + " times in 2 s");
            producer.push(md("{\"n\":1}"), DataView.of(new byte[] {1}));
            await(producer.flush());
            assertEquals(0, await(waiting).id(), "a push wakes the idle consumer");
        }
    }
}
