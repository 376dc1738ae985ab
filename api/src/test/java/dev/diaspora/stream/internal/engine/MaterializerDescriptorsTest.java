package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataAllocator;
import dev.diaspora.stream.DataDescriptor;
import dev.diaspora.stream.DataSelector;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.TopicHandle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The materializer aims one descriptor per batch slot at each event in turn only where no application code can see
 * it (built-in selector and allocator, or {@code recycleEvents}); a selector or allocator of the application's own
 * gets a descriptor of its own per event, which it may keep, as {@link DataDescriptor} promises.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MaterializerDescriptorsTest extends EngineRuleFixture {
    private static final int N = 40;

    private static List<Event> read(Consumer c) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            out.add(nextEvent(c, "event " + i));
        }
        return out;
    }

    private TopicHandle topic() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            for (int i = 0; i < N; i++) {
                producer.push(md("{\"i\":" + i + "}"), DataView.of(new byte[10 + i])); // a size per event
            }
            await(producer.flush());
        }
        return topic;
    }

    @Test
    void descriptorsAreReusedOnlyWhereNoApplicationCodeSeesThem() {
        DataAllocator own = (m, d) -> DataView.of(new byte[(int) d.size()]);
        assertTrue(BatchMaterializer.descriptorsUnseen(DataSelector.ALL, DataAllocator.heap()));
        assertTrue(BatchMaterializer.descriptorsUnseen(DataSelector.NONE, DataAllocator.direct()));
        assertFalse(BatchMaterializer.descriptorsUnseen(DataSelector.ALL, own), "the allocator gets the descriptor");
        assertFalse(BatchMaterializer.descriptorsUnseen((m, d) -> d, DataAllocator.heap()), "the selector gets it");
    }

    @Test
    void aSelectorOfItsOwnMayKeepTheDescriptorsItIsGiven() {
        List<DataDescriptor> given = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        DataSelector keeping = (m, d) -> {
            given.add(d);
            return d;
        };
        try (Consumer c = topic().consumer(ConsumerOptions.named("c").dataSelector(keeping)
                .batchSize(BatchSize.of(8)))) {
            events.addAll(read(c));
        }
        assertEquals(N, given.size());
        for (int i = 0; i < N; i++) {
            assertEquals(10 + i, given.get(i).size(), "the descriptor kept for event " + i + " still describes it");
            assertEquals(10 + i, given.get(i).baseSize());
            assertArrayEquals(new byte[10 + i], events.get(i).data().toByteArray());
        }
    }

    @Test
    void theDefaultSelectorReadsEveryEventsOwnDataThroughReusedDescriptors() {
        try (Consumer c = topic().consumer(ConsumerOptions.named("c").batchSize(BatchSize.of(8)))) {
            List<Event> events = read(c);
            for (int i = 0; i < N; i++) {
                assertEquals(10 + i, events.get(i).data().size(), "event " + i + " got its own size of data");
            }
        }
    }
}
