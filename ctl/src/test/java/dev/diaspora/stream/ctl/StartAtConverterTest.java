package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.diaspora.stream.StartAt;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StartAtConverterTest {
    @Test
    void shouldAcceptTheApiFormsAndOffsetDateTimes() {
        assertEquals(StartAt.EARLIEST, ConsumeCommand.StartAtConverter.parse("earliest"));
        assertEquals(StartAt.id(5), ConsumeCommand.StartAtConverter.parse("id:5"));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(StartAt.time(t), ConsumeCommand.StartAtConverter.parse("time:2026-01-01T00:00:00Z"));
        assertEquals(StartAt.time(t), ConsumeCommand.StartAtConverter.parse("time:2026-01-01T00:00Z"));
        assertEquals(StartAt.time(t), ConsumeCommand.StartAtConverter.parse("time:2026-01-01T08:00+08:00"));
        assertThrows(IllegalArgumentException.class, () -> ConsumeCommand.StartAtConverter.parse("time:yesterday"));
        assertThrows(IllegalArgumentException.class, () -> ConsumeCommand.StartAtConverter.parse("soon"));
    }
}
