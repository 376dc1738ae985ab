package dev.diaspora.stream.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.TopicHandle;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a consumer tailing an idle topic costs next to nothing (its watcher thread wakes rarely: counted, not
 * timed), and still receives at once what another process appends. With file change events (Linux, local file
 * system) the watcher runs only its backstop check; without them (turned off here) it polls, slowly once idle.
 */
class TailIdleTest {
    private static final int EVENTS = 20;

    @TempDir
    Path root;

    @Test
    @Timeout(120)
    void anIdleConsumerWakesAboutOnceASecondAndFileEventsDeliverAnotherProcesssAppends() throws Exception {
        assumeTrue(DirectoryEvents.covers(root), "no file change events for " + root
                + " (not Linux, not a local file system, or -D" + DirectoryEvents.PROPERTY + "=false)");
        tail("evented", true, 1000.0 / TailWatcher.BACKSTOP_MS);
    }

    @Test
    @Timeout(120)
    void withoutFileEventsAnIdleConsumerPollsSlowlyAndStillReceivesAnotherProcesssAppends() throws Exception {
        String before = System.getProperty(DirectoryEvents.PROPERTY);
        System.setProperty(DirectoryEvents.PROPERTY, "false");
        try {
            tail("polled", false, 1000.0 / TailWatcher.IDLE_POLL_MS);
        } finally {
            if (before == null) {
                System.clearProperty(DirectoryEvents.PROPERTY);
            } else {
                System.setProperty(DirectoryEvents.PROPERTY, before);
            }
        }
    }

    @Test
    @Timeout(120)
    void twoHandlesOfATopicInOneJvmShareTheDirectoryWatchAndClosingOneKeepsTheOtherEvented() throws Exception {
        assumeTrue(DirectoryEvents.covers(root), "no file change events for " + root);
        try (Driver a = open(); Driver b = open()) {
            a.createTopic("shared", Metadata.of("{\"num_partitions\":1}"));
            TopicHandle ta = a.openTopic("shared");
            Consumer ca = ta.consumer(ConsumerOptions.named("first").targets(0));
            ca.pull(); // a tailing consumer: its handle watches
            TailWatcher wa = awaitWatcher("shared", null);
            try (TopicHandle tb = b.openTopic("shared");
                    Consumer cb = tb.consumer(ConsumerOptions.named("second").targets(0))) {
                CompletableFuture<Event> first = cb.pull();
                TailWatcher wb = awaitWatcher("shared", wa);
                assertTrue(wa.evented() && wb.evented(), "both handles use file change events");
                ca.close(); // the first handle's watcher stops and gives up its subscriptions
                ta.close();
                assertFalse(wa.isAlive(), "closing a topic handle ends its watcher");
                ChildProcess child = ChildProcess.start(ProducerMain.class, root.toString(), "shared", "P",
                        "" + EVENTS, "5");
                try {
                    for (int i = 0; i < EVENTS; i++) {
                        Event e = (i == 0 ? first : cb.pull()).get(60, TimeUnit.SECONDS);
                        Content.check(e, "P", i);
                        e.acknowledge();
                    }
                    assertEquals(0, child.waitFor(60_000), "producer process: " + child.lines() + child.errors());
                } finally {
                    child.close();
                }
                assertTrue(wb.signals() > 0, "the remaining handle is still woken by file change events");
            }
        }
    }

    private Driver open() {
        return Driver.open("files", Metadata.of("{\"root_path\":\"" + root + "\"}"));
    }

    /**
     * Opens a consumer with a pending pull on an empty topic, counts its watcher's rounds over a window once it is
     * idle, then lets a child process append {@link #EVENTS} events, which the consumer must receive.
     */
    private void tail(String topic, boolean evented, double expectedRoundsPerSecond) throws Exception {
        try (Driver d = open()) {
            d.createTopic(topic, Metadata.of("{\"num_partitions\":2}"));
            try (TopicHandle t = d.openTopic(topic);
                    Consumer c = t.consumer(ConsumerOptions.named("tailer").targets(0, 1))) {
                CompletableFuture<Event> first = c.pull();
                TailWatcher w = awaitWatcher(topic, null);
                assertEquals(evented, w.evented(), "file change events in use");
                if (!evented) { // polling stays fast for ACTIVE_MS after the start (a growth): let it slow down
                    Thread.sleep(TailWatcher.ACTIVE_MS + 200);
                }
                long r0 = w.rounds();
                long t0 = System.nanoTime();
                Thread.sleep(1500); // the window over which wake-ups are counted
                double seconds = (System.nanoTime() - t0) / 1e9;
                long rounds = w.rounds() - r0;
                // twice the nominal rate plus two: room for a late start of the window, never near the old 1000/s
                double allowed = 2 * expectedRoundsPerSecond * seconds + 2;
                assertTrue(rounds <= allowed, "the idle watcher woke " + rounds + " times in " + seconds
                        + " s; at most " + allowed + " expected (" + expectedRoundsPerSecond + " a second)");
                assertFalse(first.isDone(), "nothing was appended yet");

                ChildProcess child = ChildProcess.start(ProducerMain.class, root.toString(), topic, "P", "" + EVENTS,
                        "5");
                try {
                    Set<Long> seen = new TreeSet<>();
                    for (int i = 0; i < EVENTS; i++) {
                        Event e = (i == 0 ? first : c.pull()).get(60, TimeUnit.SECONDS);
                        long n = e.metadata().json().get("n").asLong();
                        Content.check(e, "P", n);
                        seen.add(n);
                        e.acknowledge();
                    }
                    assertEquals(EVENTS, seen.size(), "every event of the other process once: " + seen);
                    assertEquals(0, child.waitFor(60_000), "producer process: " + child.lines() + child.errors());
                } finally {
                    child.close();
                }
                if (evented) {
                    assertTrue(w.signals() > 0, "file change events woke the consumer");
                } else {
                    assertEquals(0, w.signals(), "no file change events when turned off");
                }
            }
        }
    }

    /** @return the running watcher of {@code topic} other than {@code not}, once it has run its first round */
    private static TailWatcher awaitWatcher(String topic, TailWatcher not) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (TailWatcher w : TailWatcher.live()) {
                if (w != not && w.topicName().equals(topic) && w.rounds() > 0) {
                    return w;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no tail watcher started for topic '" + topic + "' within 30 s");
    }
}
