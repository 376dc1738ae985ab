package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ControlLineTest {
    @Test
    void shouldParseAProducerWithOptions() {
        ControlLine c = ControlLine.parse("  /tmp/a b.fifo -> my-topic ( batch_size=256 , format=json, bad, =x) tail");
        assertEquals("/tmp/a b.fifo", c.path());
        assertTrue(c.producer());
        assertEquals("my-topic", c.topic());
        assertEquals(Map.of("batch_size", "256", "format", "json"), c.options());
    }

    @Test
    void shouldParseAConsumerWithoutOptions() {
        ControlLine c = ControlLine.parse("out.fifo <- t1");
        assertEquals("out.fifo", c.path());
        assertFalse(c.producer());
        assertEquals("t1", c.topic());
        assertTrue(c.options().isEmpty());
    }

    @Test
    void shouldLookForTheProducerArrowFirst() {
        ControlLine c = ControlLine.parse("a <- b -> c");
        assertTrue(c.producer());
        assertEquals("a <- b", c.path());
        assertEquals("c", c.topic());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "no arrow here", "a->b", " -> t", "p ->  ", "p -> t (x=1", "p -> (x=1)"})
    void shouldRejectInvalidLines(String line) {
        assertNull(ControlLine.parse(line));
    }
}
