package dev.diaspora.stream.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Driver;
import dev.diaspora.stream.DriverNotFoundException;
import org.junit.jupiter.api.Test;

class DriversTest {
    @Test
    void shouldNameTheArtifactOfAKnownDriverThatIsMissing() {
        DriverNotFoundException e = assertThrows(DriverNotFoundException.class, () -> Driver.open("kafka"));
        assertEquals("kafka", e.driverName());
        assertTrue(e.getMessage().contains("dev.diaspora:diaspora-driver-kafka"), e.getMessage());
        assertTrue(e.getMessage().contains("Available drivers:"), e.getMessage());
    }

    @Test
    void shouldExplainHowToProvideAnUnknownDriver() {
        DriverNotFoundException e = assertThrows(DriverNotFoundException.class, () -> Driver.open("warp-drive"));
        assertTrue(e.getMessage().contains("DriverProvider named 'warp-drive'"), e.getMessage());
    }

    /** Issue 11: a leading '.' or '__' would reach the drivers' own entries (.deleted-*, __diaspora_topics). */
    @Test
    void shouldRejectNamesReservedForDriverInternals() {
        for (String bad : new String[] {".deleted-runs", ".tmp-abc", ".hidden", ".", "..", "__diaspora_topics",
                "__consumer_offsets", "__x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Drivers.checkTopicName(bad), bad);
            assertTrue(e.getMessage().contains("Invalid topic name '" + bad + "'") && e.getMessage().contains("reserved")
                    || bad.length() < 3, e.getMessage());
        }
    }

    @Test
    void shouldRejectBadTopicNames() {
        for (String bad : new String[] {"", ".", "..", "../x", "a/b", "a\\b", "a b", "x".repeat(201), "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Drivers.checkTopicName(bad), bad);
            assertTrue(e.getMessage().contains("Invalid topic name"), e.getMessage());
        }
        Drivers.checkTopicName("run-42_a.b");
        Drivers.checkTopicName("_single-underscore");
        Drivers.checkTopicName("-dash.");
        Drivers.checkTopicName("x".repeat(200));
    }
}
