package dev.diaspora.stream.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.ThreadPool;
import dev.diaspora.stream.TopicHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule R18: seeded, property-style round trips. Random events (random JSON metadata text; random data split into
 * heap and direct segments) go to random partitions of a random topic through randomly configured producers, and come
 * back through randomly configured consumers with random selections (sub, strided and unstructured views, stacked up
 * to 3 deep, parameters drawn from the size of the view they refine) and random allocations (exact, larger,
 * segmented, heap and direct). Every event's metadata text and selected bytes must equal a brute-force model computed
 * from the original bytes. Every assertion message names the seed and the case; rerun with {@code -Dtck.seed=<seed>}.
 */
public interface PropertyContract extends TckFixture {
    /** R18: 200 random events of up to 64 KiB round trip with random selections and allocations. */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R18_randomEventsRoundTripWithRandomSelections() {
        roundTrip(18_001, env().events(200), 64 * 1024, 1, 3);
    }

    /** R18: 300 random small events (up to 300 bytes) round trip with selections stacked 2 to 3 deep. */
    @Test
    @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R18_randomSmallEventsRoundTripWithDeepSelections() {
        roundTrip(18_002, env().events(300), 300, 2, 3);
    }

    private void roundTrip(long testIndex, int count, int maxData, int minDepth, int maxDepth) {
        long seed = env().seed() + testIndex;
        SplittableRandom r = env().random(testIndex);
        int partitions = 1 + r.nextInt(4);
        String where = "seed=0x" + Long.toHexString(env().seed()) + " (test " + testIndex + "), " + partitions
                + " partitions";
        TopicHandle topic = newTopic(partitions);

        String[] texts = new String[count];
        byte[][] data = new byte[count][];
        List<List<String>> shapes = new ArrayList<>();
        int[] requested = new int[count];
        SelectionPlan[] plans = new SelectionPlan[count];
        List<CompletableFuture<Long>> futures = new ArrayList<>();

        ProducerOptions producerOptions = ProducerOptions.named("property")
                .batchSize(r.nextBoolean() ? BatchSize.adaptive() : BatchSize.of(1 + r.nextInt(16)))
                .maxInFlightBatches(1 + r.nextInt(4))
                .threadPool(r.nextInt(3) == 0 ? driver().makeThreadPool(2) : ThreadPool.inline());
        where += ", producer " + producerOptions;
        try (Producer producer = topic.producer(producerOptions)) {
            for (int i = 0; i < count; i++) {
                texts[i] = RandomEvents.metadata(r, i);
                data[i] = RandomEvents.data(r, maxData);
                List<String> shape = new ArrayList<>();
                DataView view = RandomEvents.segments(r, data[i], shape);
                shapes.add(shape);
                requested[i] = r.nextInt(10) < 7 ? r.nextInt(partitions) : -1;
                plans[i] = SelectionPlan.random(r, data[i], minDepth, maxDepth);
                futures.add(requested[i] >= 0 ? producer.push(Metadata.of(texts[i]), view, requested[i])
                        : producer.push(Metadata.of(texts[i]), view));
            }
            await(producer.flush(), "R18: flush (" + where + ")");
        }
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = await(futures.get(i), "R18: push of case " + i + " (" + where + ", metadata " + texts[i] + ")");
        }

        Map<Integer, AtomicInteger> allocations = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> selectorProblems = new ConcurrentLinkedQueue<>();
        DataSelector selector = (m, d) -> {
            int c = m.json().get("case").asInt();
            if (d.size() != data[c].length) {
                selectorProblems.add("case " + c + ": the selector received a descriptor of " + d.size()
                        + " bytes for " + data[c].length + " bytes of data");
            }
            return plans[c].select(d);
        };
        DataAllocator allocator = (m, d) -> {
            int c = m.json().get("case").asInt();
            allocations.computeIfAbsent(c, k -> new AtomicInteger()).incrementAndGet();
            return allocate(new SplittableRandom(seed * 31 + c), d.size());
        };
        ConsumerOptions consumerOptions = ConsumerOptions.named("property").dataSelector(selector)
                .dataAllocator(allocator)
                .batchSize(r.nextBoolean() ? BatchSize.adaptive() : BatchSize.of(1 + r.nextInt(32)))
                .maxPrefetchBatches(1 + r.nextInt(3));
        where += ", consumer " + consumerOptions;

        Map<Integer, List<Long>> idsByPartition = new HashMap<>();
        boolean[] seen = new boolean[count];
        try (Consumer consumer = topic.consumer(consumerOptions)) {
            for (int k = 0; k < count; k++) {
                Event e = nextEvent(consumer, "R18: event " + k + " of " + count + " (" + where + ")");
                int c;
                try {
                    c = e.metadata().json().get("case").asInt();
                } catch (RuntimeException x) {
                    fail("R18: unreadable metadata " + Tck.describe(e) + " (" + where + "): " + x);
                    return;
                }
                String ctx = where + ", case " + c + ", partition " + e.partition() + ", id " + e.id() + ", data "
                        + data[c].length + " bytes pushed as " + shapes.get(c) + ", selection " + plans[c];
                assertTrue(c >= 0 && c < count && !seen[c], "R18: case delivered twice or unknown (" + ctx + ")");
                seen[c] = true;
                if (capabilities().metadataVerbatim()) {
                    assertEquals(texts[c], e.metadata().toString(), "R18: metadata text (" + ctx + ")");
                } else {
                    assertTrue(Tck.sameJsonValue(Metadata.of(texts[c]).json(), e.metadata().json()),
                            "R18: metadata value (" + ctx + "): sent " + texts[c] + ", received " + e.metadata());
                }
                if (requested[c] >= 0) {
                    assertEquals(requested[c], e.partition(), "R18: partition of an explicit push (" + ctx + ")");
                }
                assertEquals(ids[c], e.id(), "R18: id differs from the push future's (" + ctx + ")");
                byte[] want = plans[c].expected();
                DataView got = e.data();
                assertEquals(want.length, got.size(), "R18: data().size() (" + ctx + ")");
                long covered = 0;
                for (ByteBuffer s : got.segments()) {
                    covered += s.remaining();
                }
                assertEquals(want.length, covered, "S12: segments must cover exactly the selected bytes (" + ctx + ")");
                byte[] bytes = got.toByteArray();
                if (!Arrays.equals(want, bytes)) {
                    fail("R18: selected bytes differ from the model at byte " + Arrays.mismatch(want, bytes) + " ("
                            + ctx + ")");
                }
                if (want.length == 0) {
                    assertEquals(null, allocations.get(c), "S12: the allocator was called for an empty selection ("
                            + ctx + ")");
                }
                idsByPartition.computeIfAbsent(e.partition(), p -> new ArrayList<>()).add(e.id());
            }
            assertNoMoreEvents(consumer, "R18 (" + where + ")");
        }
        assertTrue(selectorProblems.isEmpty(), "R18 (" + where + "): " + selectorProblems);
        for (Map.Entry<Integer, List<Long>> en : idsByPartition.entrySet()) {
            List<Long> got = en.getValue();
            for (int i = 0; i < got.size(); i++) {
                assertEquals(i, (long) got.get(i), "R18: ids of partition " + en.getKey() + " must be delivered in"
                        + " order, contiguous from 0 (" + where + ")");
            }
        }
    }

    /** A random allocation of at least {@code size} bytes: exact, larger, segmented, heap or direct, offset windows. */
    private static DataView allocate(SplittableRandom r, long size) {
        int n = (int) size;
        switch (r.nextInt(5)) {
            case 0:
                return DataView.of(ByteBuffer.allocate(n));
            case 1:
                return DataView.of(ByteBuffer.allocateDirect(n + r.nextInt(64)));
            case 2: {
                ByteBuffer b = ByteBuffer.allocate(n + 40);
                b.position(r.nextInt(20)).limit(b.position() + n + r.nextInt(20));
                return DataView.of(b);
            }
            default: {
                int k = 2 + r.nextInt(3);
                int extra = r.nextInt(3) == 0 ? r.nextInt(32) : 0;
                int[] cuts = new int[k + 1];
                cuts[k] = n + extra;
                for (int i = 1; i < k; i++) {
                    cuts[i] = r.nextInt(n + extra + 1);
                }
                Arrays.sort(cuts, 1, k);
                ByteBuffer[] segs = new ByteBuffer[k];
                for (int i = 0; i < k; i++) {
                    int len = cuts[i + 1] - cuts[i];
                    segs[i] = r.nextBoolean() ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
                }
                return DataView.of(segs);
            }
        }
    }
}
