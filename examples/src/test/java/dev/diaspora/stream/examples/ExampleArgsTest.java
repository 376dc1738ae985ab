package dev.diaspora.stream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExampleArgsTest {
    private static final String USAGE = "usage: X --uri u [--topic name] [--events n]";

    @Test
    void parsesCommonAndOwnFlags() {
        String[] uri = {null};
        ExampleArgs a = new ExampleArgs(USAGE, 10).flag("--uri", v -> uri[0] = v)
                .parse(new String[] {"--events", "12", "--uri", "x://h", "--topic", "t"});
        assertEquals(12, a.events());
        assertEquals("t", a.topic());
        assertEquals("x://h", a.require(uri[0], "--uri"));
        assertEquals("diaspora-example", new ExampleArgs(USAGE, 3).parse(new String[0]).topic());
        assertEquals(3, new ExampleArgs(USAGE, 3).parse(new String[0]).events());
    }

    @Test
    void badCommandLinesNameTheProblemAndShowTheUsage() {
        assertMessage("unknown argument --bogus", () -> new ExampleArgs(USAGE, 1).parse(new String[] {"--bogus", "1"}));
        assertMessage("--topic needs a value", () -> new ExampleArgs(USAGE, 1).parse(new String[] {"--topic"}));
        assertMessage("--events needs a positive number, got 'ten'",
                () -> new ExampleArgs(USAGE, 1).parse(new String[] {"--events", "ten"}));
        assertMessage("--events needs a positive number, got '0'",
                () -> new ExampleArgs(USAGE, 1).parse(new String[] {"--events", "0"}));
        assertMessage("--uri is required", () -> new ExampleArgs(USAGE, 1).require(null, "--uri"));
    }

    private static void assertMessage(String start, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(start) && e.getMessage().endsWith(USAGE), e.getMessage());
    }
}
