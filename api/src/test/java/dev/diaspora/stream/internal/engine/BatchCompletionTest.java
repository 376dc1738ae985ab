package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a batch's completion reaches the producer engine: the engine attaches it to the future before the driver sees
 * the batch ({@code engine-test-log} fails a batch whose future has nothing attached), a driver that completes inside
 * {@code append} does not run the engine's completion (and so the user's callbacks) under the batcher's lock, and the
 * pool's drain task, which waits briefly for the next push of a burst, costs no CPU once the producer is idle.
 */
@Timeout(60)
class BatchCompletionTest extends EngineRuleFixture {
    @Test
    void theCompletionIsAttachedBeforeTheDriverSeesTheBatch() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(ProducerOptions.named("p").batchSize(BatchSize.of(16)))) {
            pushNumbered(producer, 100); // engine-test-log fails any batch whose future has no dependent
            assertEquals(100, producer.metrics().eventsStored());
        }
    }

    @Test
    void aCallbackOfABatchCompletedInsideAppendRunsOutsideTheBatchersLock() throws Exception {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(ProducerOptions.named("p").batchSize(BatchSize.of(1)))) {
            // engine-test-log completes inside append; the callback pushes again to the same partition from another
            // thread, which must not wait for this callback to return (it would if the lock were still held)
            AtomicReference<Object> other = new AtomicReference<>();
            CompletableFuture<Void> callbackDone = new CompletableFuture<>();
            producer.push(md("{\"a\":0}"), DataView.EMPTY, -1, (p, id, err) -> {
                Thread t = new Thread(() -> {
                    try {
                        other.set(producer.push(md("{\"a\":1}"), DataView.EMPTY).get());
                    } catch (Exception e) {
                        other.set(e);
                    }
                });
                t.start();
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (t.isAlive()) {
                    other.compareAndSet(null, "the second push waited for the first event's callback");
                }
                callbackDone.complete(null);
            });
            await(callbackDone);
            assertEquals(1L, other.get(), "the push from the callback's helper thread");
        }
    }

    @Test
    void anIdleProducerOnAPoolCostsNoCpu() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(mx.isThreadCpuTimeSupported(), "thread CPU time is not measurable on this JVM");
        if (!mx.isThreadCpuTimeEnabled()) {
            mx.setThreadCpuTimeEnabled(true);
        }
        TopicHandle topic = newTopic(1);
        try (ThreadPool pool = ThreadPool.create(1);
                Producer producer = topic.producer(ProducerOptions.named("p").threadPool(pool))) {
            CompletableFuture<Long> poolThread = new CompletableFuture<>();
            pool.execute(() -> poolThread.complete(Thread.currentThread().getId()));
            long tid = await(poolThread);
            for (int round = 0; round < 20; round++) { // bursts, so that the drain task waits for pushes
                List<CompletableFuture<Long>> fs = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    fs.add(producer.push(md("{\"i\":" + i + "}"), DataView.EMPTY));
                }
                await(producer.flush());
                fs.forEach(EngineRuleFixture::await);
            }
            Thread.sleep(100); // past any wait of the last drain task
            long cpu0 = mx.getThreadCpuTime(tid);
            long wall0 = System.nanoTime();
            Thread.sleep(1_000);
            long cpu = mx.getThreadCpuTime(tid) - cpu0;
            long wall = System.nanoTime() - wall0;
            assertTrue(cpu0 >= 0, "the pool thread is alive");
            assertTrue(cpu < wall / 100, "the idle producer's pool thread used " + cpu / 1_000 + " us of CPU in "
                    + wall / 1_000 + " us (limit 1 %)");
        }
    }
}
