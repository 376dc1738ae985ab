package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.netty.protocol.Protocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch larger than the server's frame limit travels as several APPEND frames. Two producers on two connections
 * push large events into one partition of a server with the smallest frame limit, so that their frames arrive
 * interleaved; the EventID each push future reports must be the id under which a consumer reads that event back.
 */
class NettySplitBatchTest {
    private static final int PRODUCERS = 2;
    private static final int EVENTS = 600;
    private static final int MAX_DATA = 24 << 10;

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldReportTheStoredIdOfEveryEventOfASplitBatch() throws Exception {
        try (Servers servers = Servers.start(dir, 1, b -> b.maxFrameLength(Protocol.MIN_MAX_FRAME))) {
            List<Driver> drivers = new ArrayList<>();
            try {
                for (int w = 0; w < PRODUCERS; w++) {
                    drivers.add(Driver.open("netty", servers.driverOptions()));
                }
                drivers.get(0).createTopic("split", Metadata.of("{\"num_partitions\":1}"));
                Map<Long, String> reported = new HashMap<>(); // id -> "w/n"
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<Map<Long, String>>> runs = new ArrayList<>();
                for (int w = 0; w < PRODUCERS; w++) {
                    Driver d = drivers.get(w);
                    int worker = w;
                    runs.add(CompletableFuture.supplyAsync(() -> push(d, worker, go)));
                }
                go.countDown();
                for (CompletableFuture<Map<Long, String>> r : runs) {
                    for (Map.Entry<Long, String> e : r.get().entrySet()) {
                        assertNull(reported.put(e.getKey(), e.getValue()), "id " + e.getKey() + " reported twice");
                    }
                }
                assertEquals(PRODUCERS * EVENTS, reported.size());
                try (TopicHandle t = drivers.get(0).openTopic("split");
                        Consumer c = t.consumer(ConsumerOptions.named("check").dataSelector((md, dv) -> dv)
                                .dataAllocator(DataAllocator.heap()))) {
                    for (int i = 0; i < PRODUCERS * EVENTS; i++) {
                        Optional<Event> next = c.poll(Duration.ofSeconds(10));
                        Event e = next.orElseThrow(() -> new AssertionError("fewer events than pushed"));
                        assertNull(Payload.mismatch(e, MAX_DATA));
                        assertEquals(Payload.producer(e) + "/" + Payload.number(e), reported.get(e.id()),
                                "the push future of the event stored at id " + e.id() + " reported another id");
                    }
                }
            } finally {
                drivers.forEach(Driver::close);
            }
        }
    }

    private static Map<Long, String> push(Driver d, int worker, CountDownLatch go) {
        try (TopicHandle t = d.openTopic("split");
                Producer p = t.producer(ProducerOptions.named("w" + worker).batchSize(BatchSize.of(120))
                        .maxBatchBytes(1L << 20).maxInFlightBatches(4))) {
            go.await();
            List<CompletableFuture<Long>> ids = new ArrayList<>();
            for (int n = 0; n < EVENTS; n++) {
                ids.add(p.push(Payload.metadata(worker, n), Payload.view(worker, n, MAX_DATA)));
            }
            p.flush().join();
            Map<Long, String> out = new HashMap<>();
            for (int n = 0; n < EVENTS; n++) {
                out.put(ids.get(n).join(), worker + "/" + n);
            }
            return out;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
