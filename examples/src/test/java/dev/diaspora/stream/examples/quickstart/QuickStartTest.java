package dev.diaspora.stream.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the README's main job end to end and checks what it prints. */
class QuickStartTest {
    @Test
    @Timeout(60)
    void shouldProduceAndConsumeEveryEventWithTheSelectedData(@TempDir Path dir) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[] {"files", "{\"root_path\":\"" + dir.toString().replace("\\", "\\\\")
                    + "\"}"});
        } finally {
            System.setOut(old);
        }
        List<String> lines = Arrays.asList(out.toString(StandardCharsets.UTF_8).split("\n"));
        assertTrue(lines.contains("produced 10 events"), String.join("\n", lines));
        assertTrue(lines.contains("consumed 10 events"), String.join("\n", lines));
        List<String> consumed = lines.stream().filter(l -> l.startsWith("consumed partition"))
                .collect(Collectors.toList());
        assertEquals(10, consumed.size());
        for (String l : consumed) {
            int energy = Integer.parseInt(l.replaceAll(".*\"energy\":(\\d+).*", "$1"));
            if (energy > 40) {
                assertTrue(l.endsWith("data[16]='payload of event'"), l);
            } else {
                assertTrue(l.endsWith("data[0]=''"), l);
            }
        }
    }
}
