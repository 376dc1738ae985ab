package dev.diaspora.stream.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code consumer describe} after a crash lost the tail of a files topic (issue 11): 1,000 events read by "app"
 * (position 1000) and 700 by "late", half the data file cut, 500 new events. The lag of "app" is 500 (it was 0: the
 * new events had taken the cut ids), and the position of "late" is shown inside the lost range.
 */
class ConsumerLagAfterLostTailTest {
    @TempDir
    Path root;

    private InProcess.Result ctl(String... args) {
        return InProcess.files(root, args);
    }

    private void push(TopicHandle t, int count) {
        try (Producer p = t.producer()) {
            for (int i = 0; i < count; i++) {
                p.push(Metadata.of("{\"i\":" + i + "}"), DataView.of(new byte[1024]), 0);
            }
            p.flush().join();
        }
    }

    private static void read(TopicHandle t, String name, int count) {
        try (Consumer c = t.consumer(ConsumerOptions.named(name).startAt(StartAt.EARLIEST))) {
            for (int i = 0; i < count; i++) {
                c.poll(Duration.ofSeconds(10)).orElseThrow().acknowledge();
            }
            c.commit().join();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void describeShouldCountOnlyEventsAfterALostTailAndShowAPositionInsideIt() throws Exception {
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"))) {
            d.createTopic("t", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("t")) {
                push(t, 1000);
                read(t, "app", 1000);
                read(t, "late", 700);
            }
        }
        Path data = root.resolve("t/partitions/00000000/00000000000000000000.data");
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
            ch.truncate(64 + (Files.size(data) - 64) / 2);
        }
        try (Driver d = Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
                TopicHandle t = d.openTopic("t")) {
            push(t, 500);
        }
        List<String> table = ctl("consumer", "describe", "-t", "t").lines();
        assertEquals(3, table.size(), String.join("\n", table));
        String[] app = table.get(1).trim().split("\\s+");
        assertEquals("app", app[0]);
        assertEquals("1000", app[2]);
        assertEquals("1499", app[3]);
        assertEquals("500", app[4], "app has the 500 new events to read: " + table.get(1));
        String[] late = table.get(2).trim().split("\\s+");
        assertEquals("late", late[0]);
        assertEquals("500", late[4], "late: the lost ids are not lag: " + table.get(2));
        assertTrue(table.get(2).contains("position in lost range "), table.get(2));

        JsonNode doc = new ObjectMapper().readTree(ctl("consumer", "describe", "-t", "t", "-n", "late", "--json")
                .out());
        JsonNode p0 = doc.get("partitions").get(0);
        assertEquals(500, p0.get("lag").asLong());
        assertTrue(p0.get("position_lost").asBoolean());
        assertEquals(999, p0.get("lost").get(0).get("last").asLong());
        assertTrue(p0.get("lost").get(0).get("why").asText().contains("cut"), p0.toString());

        Path pos = root.resolve("t/consumers/late.pos"); // both slots of its partition 0 damaged
        try (FileChannel ch = FileChannel.open(pos, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 128 + 8);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 160 + 8);
        }
        List<String> damaged = ctl("consumer", "describe", "-t", "t").lines();
        assertTrue(damaged.get(1).trim().startsWith("app") && damaged.get(1).trim().split("\\s+")[4].equals("500"),
                "the other names are still described: " + damaged);
        assertTrue(damaged.get(2).contains("DAMAGED") && damaged.get(2).contains("late.pos")
                && damaged.get(2).contains("diaspora-ctl consumer reset"), damaged.get(2));
        ctl("consumer", "reset", "-t", "t", "-n", "late", "--to", "id:1000");
        assertTrue(ctl("consumer", "describe", "-t", "t", "-n", "late").lines().get(1).contains(" 500 "));
    }
}
