package dev.diaspora.stream.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 through the netty server: the server's files engine never gives an id twice after the tail of a log was
 * cut, and a netty consumer whose position lies in the lost range receives {@link EventsLostException} with the range,
 * then every new event (the error kind 12 of PROTOCOL.md carries the ids); {@code lostRanges} works over netty too.
 */
@Timeout(120)
class NettyLostRangeTest {
    @TempDir
    Path base;

    private static void push(TopicHandle t, int from, int count) {
        try (Producer p = t.producer()) {
            for (int i = from; i < from + count; i++) {
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
    void aConsumerInsideALostRangeShouldLearnItAndReceiveEveryNewEvent() throws Exception {
        try (Servers servers = Servers.start(base, 1); Driver d = Driver.open("netty", servers.driverOptions())) {
            d.createTopic("t", Metadata.of("{}"));
            try (TopicHandle t = d.openTopic("t")) {
                push(t, 0, 1000);
                read(t, "app", 1000);
                read(t, "late", 700);
            }
        }
        Path data;
        try (var files = Files.walk(base)) {
            data = files.filter(f -> f.toString().endsWith("00000000000000000000.data")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
            ch.truncate(64 + (Files.size(data) - 64) / 2); // half the data: the log ends near 500
        }
        try (Servers servers = Servers.start(base, 1); Driver d = Driver.open("netty", servers.driverOptions());
                TopicHandle t = d.openTopic("t")) {
            push(t, 1000, 500);
            assertEquals(1500, t.bounds(0).next(), "the new events follow the largest stored position");
            List<LostRange> ranges = t.lostRanges(0); // LOST_RANGES, for consumer describe over netty
            assertEquals(1, ranges.size(), ranges.toString());
            assertTrue(ranges.get(0).first() > 400 && ranges.get(0).first() <= 700, ranges.toString());
            assertEquals(999, ranges.get(0).last());
            assertTrue(ranges.get(0).why().contains("cut"), ranges.toString());
            try (Consumer late = t.consumer(ConsumerOptions.named("late"))) {
                List<Event> got = new ArrayList<>();
                EventsLostException lost = null;
                while (got.size() < 500) {
                    try {
                        Optional<Event> e = late.poll(Duration.ofSeconds(10));
                        got.add(e.orElseThrow(() -> new AssertionError("late: no event after " + got.size())));
                    } catch (EventsLostException e) {
                        lost = e;
                        late.seek(0, StartAt.id(e.lastLostId() + 1)); // harmless once the engine goes on by itself
                    }
                }
                assertTrue(lost != null, "late learns the lost range");
                assertEquals(700, lost.firstLostId(), lost.getMessage());
                assertEquals(999, lost.lastLostId(), lost.getMessage());
                assertTrue(lost.getMessage().contains("from server"), lost.getMessage());
                assertEquals(1000, got.get(0).id());
                assertEquals("{\"i\":1000}", got.get(0).metadata().toString());
            }
            try (Consumer app = t.consumer(ConsumerOptions.named("app"))) {
                for (int i = 0; i < 500; i++) {
                    assertEquals(1000 + i, app.poll(Duration.ofSeconds(10)).orElseThrow().id());
                }
            }
        }
    }
}
