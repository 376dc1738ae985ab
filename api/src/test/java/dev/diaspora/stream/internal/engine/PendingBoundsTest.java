package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import org.junit.jupiter.api.Test;

/**
 * Where a producer's pending bounds come from: the options' values when given, else the driver's suggestions
 * ({@code Backend.suggestedMaxPendingEvents/Bytes}), else the engine's defaults; {@code Producer.options()} reports
 * the bounds in force and the gate enforces them.
 */
class PendingBoundsTest {
    private static Driver driver(long events, long bytes) {
        return Drivers.open("engine-test-log", Metadata.of("{\"" + LogTestDriver.SUGGESTED_EVENTS + "\":" + events
                + ",\"" + LogTestDriver.SUGGESTED_BYTES + "\":" + bytes + "}"));
    }

    private static TopicHandle topic(Driver d) {
        d.createTopic("bounds", Metadata.of("{\"num_partitions\":1}"));
        return d.openTopic("bounds");
    }

    private static void assertBounds(Producer p, long events, long bytes) {
        PermitGate gate = ((ProducerImpl) p).gate();
        assertEquals(events, gate.maxEvents(), "events bound of the gate");
        assertEquals(bytes, gate.maxBytes(), "bytes bound of the gate");
        assertEquals(events, p.options().maxPendingEvents(), "options().maxPendingEvents()");
        assertEquals(bytes, p.options().maxPendingBytes(), "options().maxPendingBytes()");
        assertTrue(p.options().maxPendingEventsSet() && p.options().maxPendingBytesSet(),
                "an open producer's options report the bounds in force as given");
    }

    @Test
    void aProducerWithoutBoundsTakesTheDriversSuggestions() {
        try (Driver d = driver(7, 5000); TopicHandle t = topic(d); Producer p = t.producer(ProducerOptions.named("p"))) {
            assertBounds(p, 7, 5000);
            p.push(Metadata.of("{}"), DataView.of(new byte[10])).join(); // the producer works under them
        }
    }

    @Test
    void boundsGivenInTheOptionsWinOverTheSuggestions() {
        try (Driver d = driver(7, 5000); TopicHandle t = topic(d)) {
            try (Producer p = t.producer(ProducerOptions.named("both").maxPendingEvents(3).maxPendingBytes(900))) {
                assertBounds(p, 3, 900);
            }
            try (Producer p = t.producer(ProducerOptions.named("events").maxPendingEvents(3))) {
                assertBounds(p, 3, 5000);
            }
            try (Producer p = t.producer(ProducerOptions.named("bytes").maxPendingBytes(900))) {
                assertBounds(p, 7, 900);
            }
        }
    }

    @Test
    void withoutSuggestionsTheDefaultsApply() {
        try (Driver d = driver(0, 0); TopicHandle t = topic(d); Producer p = t.producer(ProducerOptions.named("p"))) {
            assertBounds(p, ProducerOptions.DEFAULT_MAX_PENDING_EVENTS, ProducerOptions.DEFAULT_MAX_PENDING_BYTES);
        }
    }

    @Test
    void optionsReportTheDefaultsUntilGivenAndValidateAsBefore() {
        ProducerOptions o = ProducerOptions.defaults();
        assertFalse(o.maxPendingEventsSet());
        assertFalse(o.maxPendingBytesSet());
        assertEquals(65_536, o.maxPendingEvents());
        assertEquals(64L << 20, o.maxPendingBytes());
        ProducerOptions set = o.maxPendingEvents(65_536).name("renamed");
        assertTrue(set.maxPendingEventsSet(), "a given bound stays given through other setters");
        assertFalse(set.maxPendingBytesSet());
        assertEquals("maxPendingEvents must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> o.maxPendingEvents(0)).getMessage());
        assertEquals("maxPendingBytes must be >= 1, got -1",
                assertThrows(IllegalArgumentException.class, () -> o.maxPendingBytes(-1)).getMessage());
    }
}
