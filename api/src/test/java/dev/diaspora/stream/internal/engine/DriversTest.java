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

    @Test
    void shouldRejectBadTopicNames() {
        for (String bad : new String[] {"", ".", "..", "../x", "a/b", "a\\b", "a b", "x".repeat(201), "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Drivers.checkTopicName(bad), bad);
            assertTrue(e.getMessage().contains("Invalid topic name"), e.getMessage());
        }
        Drivers.checkTopicName("run-42_a.b");
        Drivers.checkTopicName("x".repeat(200));
    }
}
