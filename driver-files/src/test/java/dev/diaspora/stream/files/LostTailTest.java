package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.EventsLostException;
import dev.diaspora.stream.LostRange;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lost tail never makes the log give an EventID twice (issue 11): 1,000 events of 1 KiB read by consumer "app"
 * (position 1000) and "late" (position 700), then half the data file lost (a power cut with {@code durability: os})
 * or the last index record damaged. The next writer gives its events ids after everything a consumer passed, "app"
 * receives every new event, and a consumer whose position lies in the lost range learns it.
 */
@Timeout(120)
class LostTailTest {
    private static final String P0 = "t/partitions/00000000/";
    private static final int SIZE = 1024;

    @TempDir
    Path root;
    @TempDir
    Path after;

    @AfterEach
    void sameBoot() {
        PowerCut.sameBootAgain();
    }

    private static Driver open(Path r) {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + r + "\"}"));
    }

    /** 1,000 events; "app" reads all, "late" reads 700; both commit. Leaves {@code d} open (the "live" state). */
    private static TopicHandle fill(Driver d) {
        d.createTopic("t", Metadata.of("{}"));
        TopicHandle t = d.openTopic("t");
        try (Producer p = t.producer()) {
            long[] ids = PowerCut.push(p, "old", 0, 1000, SIZE);
            assertEquals(999, ids[999]);
        }
        for (String[] c : new String[][] {{"app", "1000"}, {"late", "700"}}) {
            try (Consumer k = t.consumer(ConsumerOptions.named(c[0]).startAt(StartAt.EARLIEST))) {
                PowerCut.Received r = PowerCut.drain(k, Integer.parseInt(c[1]));
                assertEquals(Integer.parseInt(c[1]), r.events.size());
                k.commit().join();
            }
        }
        return t;
    }

    /** Pushes 500 new events and checks who gets what; returns the first new id. */
    private static long writeAndCheck(Path r, long lostFrom) {
        try (Driver d = open(r); TopicHandle t = d.openTopic("t")) {
            long[] ids;
            try (Producer p = t.producer()) {
                ids = PowerCut.push(p, "new", 0, 500, SIZE);
            }
            long first = ids[0];
            assertTrue(first >= 1000, "the new events get ids after every position a consumer passed, not " + first);
            for (int i = 0; i < 500; i++) {
                assertEquals(first + i, ids[i], "new ids are contiguous");
            }
            assertEquals(first + 500, t.bounds(0).next());
            assertEquals(0, t.bounds(0).first());
            assertEquals(List.of(new LostRange(lostFrom, first - 1, t.lostRanges(0).get(0).why())), t.lostRanges(0));

            try (Consumer app = t.consumer(ConsumerOptions.named("app"))) {
                PowerCut.Received got = PowerCut.drain(app, 500);
                assertEquals(500, got.events.size(), "app receives every new event");
                for (int i = 0; i < 500; i++) {
                    assertEquals(first + i, got.events.get(i).id());
                    PowerCut.check(got.events.get(i), "new", i, SIZE);
                }
                if (first > 1000) {
                    assertEquals(1, got.lost.size(), "app learns the ids after its position that hold nothing");
                    assertLost(got.lost.get(0), 1000, first - 1);
                } else {
                    assertEquals(List.of(), got.lost);
                }
            }
            try (Consumer late = t.consumer(ConsumerOptions.named("late"))) {
                int old = (int) Math.max(0, lostFrom - 700); // intact old events after its position
                PowerCut.Received got = PowerCut.drain(late, old + 500);
                assertEquals(1, got.lost.size(), "late learns the range it lost");
                assertLost(got.lost.get(0), Math.max(700, lostFrom), first - 1);
                assertEquals(old + 500, got.events.size());
                for (int i = 0; i < old; i++) {
                    PowerCut.check(got.events.get(i), "old", 700 + i, SIZE);
                }
                assertEquals(first, got.events.get(old).id());
            }
            try (Consumer fresh = t.consumer(ConsumerOptions.named("fresh").startAt(StartAt.EARLIEST))) {
                PowerCut.Received got = PowerCut.drain(fresh, (int) lostFrom + 500);
                assertEquals(lostFrom + 500, got.events.size(), "the intact prefix and the new events");
                for (int i = 0; i < lostFrom; i++) {
                    PowerCut.check(got.events.get(i), "old", i, SIZE); // no old id holds another event
                }
                assertLost(got.lost.get(0), lostFrom, first - 1);
                Instant newTime = got.events.get((int) lostFrom).timestamp();
                try (Consumer byTime = t.consumer(ConsumerOptions.named("time").startAt(StartAt.time(newTime)))) {
                    assertEquals(first, byTime.position(0), "a time seek across the lost range");
                }
            }
            return first;
        }
    }

    private static void assertLost(EventsLostException e, long first, long last) {
        assertEquals(0, e.partition());
        assertEquals(first, e.firstLostId(), e.getMessage());
        assertEquals(last, e.lastLostId(), e.getMessage());
        assertTrue(e.getMessage().contains("topic 't'"), e.getMessage());
    }

    private static long halfTheData(Path r) throws Exception {
        Path data = r.resolve(P0 + "00000000000000000000.data");
        PowerCut.truncate(data, 64 + (Files.size(data) - 64) / 2);
        try (Driver d = open(r); TopicHandle t = d.openTopic("t")) {
            return t.bounds(0).next(); // what readers see: the intact prefix
        }
    }

    @Test
    void halfTheDataFileLostInAPowerCutShouldGiveNewEventsFreshIdsAndTellTheConsumers() throws Exception {
        try (Driver d = open(root); TopicHandle t = fill(d)) {
            try (Producer p = t.producer()) {
                PowerCut.push(p, "old", 1000, 0, SIZE); // the writer is live: its reservation is ahead of the log
            }
            PowerCut.copyTree(root.resolve("t"), after.resolve("t")); // the power cut
        }
        long end = halfTheData(after);
        assertTrue(end > 400 && end < 600, "about half the events stay: " + end);
        PowerCut.restart("after-the-power-cut");
        long first = writeAndCheck(after, end);
        assertTrue(first > 1000, "ids reserved by the live writer are skipped too: " + first);
        try (Driver d = open(after); TopicHandle t = d.openTopic("t")) {
            assertEquals(Map.of(0, first + 500), t.positions("app"));
        }
    }

    @Test
    void halfTheDataFileCutAfterACleanCloseShouldNotReuseIdsAConsumerPassed() throws Exception {
        try (Driver d = open(root); TopicHandle t = fill(d)) {
            assertEquals(1000, t.bounds(0).next());
        }
        long end = halfTheData(root);
        assertEquals(1000, writeAndCheck(root, end), "the log goes on after the largest stored position");
    }

    @Test
    void aDamagedLastIndexRecordShouldNotReuseItsId() throws Exception {
        try (Driver d = open(root); TopicHandle t = fill(d)) {
            assertEquals(1000, t.bounds(0).next());
        }
        PowerCut.flipBit(root.resolve(P0 + "00000000000000000000.index"), 64 + 48 * 999 + 20, 3);
        try (Driver d = open(root); TopicHandle t = d.openTopic("t")) {
            assertEquals(999, t.bounds(0).next(), "a damaged last record is cut like a torn write (FORMAT.md 10)");
        }
        assertEquals(1000, writeAndCheck(root, 999));
    }

    @Test
    void aRestartAfterACleanCloseShouldSkipNothing() throws Exception {
        try (Driver d = open(root); TopicHandle t = fill(d)) {
            assertEquals(1000, t.bounds(0).next());
        }
        PowerCut.restart("next-morning");
        try (Driver d = open(root); TopicHandle t = d.openTopic("t"); Producer p = t.producer()) {
            assertEquals(1000, PowerCut.push(p, "new", 0, 1, SIZE)[0]);
            assertEquals(List.of(), t.lostRanges(0));
        }
    }
}
