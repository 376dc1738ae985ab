package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.TopicNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Rules R4 (names reserved for the drivers' own entries) and R7 (topic incarnations): a topic deleted and created
 * again under the same name is a <em>new</em> topic. Every handle of the old one, in another driver instance (another
 * process, as far as the driver can tell), notices on its next operation: pushes fail with
 * {@link TopicNotFoundException} naming the topic, and no push succeeds unless its event is in the topic it was
 * pushed to; consumers' pulls and the handle's admin calls fail the same way. (Issue 11: a producer of another
 * process went on completing pushes into a deleted topic while the new one received none of them.)
 *
 * <p>The R7 tests open a second driver with the same options; they are skipped when the driver declares it cannot
 * delete topics, or when two instances with these options do not share topics (the memory driver without a named
 * store).
 *
 * <p>Thread safety: as {@link TckFixture}: one instance per test.
 */
public interface IncarnationContract extends TckFixture {
    /** R4: names starting with '.' or '__' are refused everywhere: they are where drivers keep their own entries. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R4_namesReservedForDriverInternalsAreRejected() {
        for (String name : List.of(".deleted-runs", ".tmp-" + newTopicName(), ".hidden", "__diaspora_topics",
                "__consumer_offsets", "__x")) {
            for (Executable call : List.<Executable>of(() -> driver().createTopic(name),
                    () -> driver().openTopic(name).close(), () -> driver().topicExists(name),
                    () -> driver().deleteTopic(name))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
                        "R4: the reserved name \"" + name + "\" must be refused with IllegalArgumentException");
                assertTrue(String.valueOf(e.getMessage()).contains(name),
                        "R4: the exception must name the refused name \"" + name + "\": " + e.getMessage());
            }
        }
        assertFalse(driver().listTopics().keySet().stream().anyMatch(n -> n.startsWith(".") || n.startsWith("__")),
                "R4: listTopics() shows a reserved name: " + driver().listTopics().keySet());
        String single = "_" + newTopicName();
        driver().createTopic(single);
        assertTrue(driver().topicExists(single), "R4: a name starting with a single '_' is valid: " + single);
    }

    /**
     * R7: a producer of another driver instance, whose topic was deleted and created again, fails every later push
     * with {@link TopicNotFoundException} naming the topic; none of them lands in the new topic.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R7_otherInstanceNoticesDeleteAndRecreateOnPush() {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1}"));
        try (Driver other = secondInstance(name); TopicHandle old = other.openTopic(name)) {
            Producer producer = old.producer(); // closed below: its close reports the failed pushes
            await(producer.push(md("{\"before\":true}"), DataView.EMPTY), "R7: push before the delete");
            replace(name);
            int n = env().events(20);
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(producer.push(md("{\"after\":" + i + "}"), DataView.EMPTY));
            }
            producer.flush(); // may fail; the futures say what happened to each event
            boolean notFound = false;
            for (int i = 0; i < n; i++) {
                Throwable t = awaitFailure(futures.get(i), "R7: push " + i + " after the topic '" + name
                        + "' was deleted and created again (another instance): it must fail, not succeed");
                notFound |= t instanceof TopicNotFoundException;
            }
            Throwable later = awaitFailure(producer.push(md("{\"later\":true}"), DataView.EMPTY),
                    "R7: a push after the failures");
            assertTrue(notFound || later instanceof TopicNotFoundException, "R7: pushes into a deleted topic must"
                    + " fail with TopicNotFoundException, got " + later);
            checkMessage(name, later instanceof TopicNotFoundException ? later : null);
            try {
                producer.close();
            } catch (RuntimeException expected) {
                // close flushes, and the flush reports the pushes that failed
            }
            try (TopicHandle fresh = driver().openTopic(name); Consumer c = fresh.consumer("tck")) {
                Optional<Event> e = c.poll(env().quietPeriod());
                if (e.isPresent() && !e.get().isNoMoreEvents()) {
                    fail("R7: the re-created topic '" + name + "' delivers " + Tck.describe(e.get()) + ", pushed"
                            + " through a handle of the deleted topic");
                }
            }
        }
    }

    /** R7: a consumer of another driver instance notices that its topic was deleted and created again. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R7_otherInstanceNoticesDeleteAndRecreateOnConsume() {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1}"));
        try (Driver other = secondInstance(name); TopicHandle old = other.openTopic(name);
                Consumer consumer = old.consumer("tck")) {
            try (TopicHandle h = driver().openTopic(name); Producer p = h.producer()) {
                await(p.push(md("{\"before\":true}"), DataView.EMPTY), "R7: push before the delete");
            }
            nextEvent(consumer, "R7: the event pushed before the delete");
            replace(name);
            try (TopicHandle h = driver().openTopic(name); Producer p = h.producer()) {
                await(p.push(md("{\"new_topic\":true}"), DataView.EMPTY), "R7: push into the re-created topic");
            }
            long deadline = System.nanoTime() + env().pullTimeout().toNanos();
            while (true) {
                Optional<Event> e;
                try {
                    e = consumer.poll(env().quietPeriod());
                } catch (TopicNotFoundException x) {
                    checkMessage(name, x);
                    break;
                }
                if (e.isPresent() && !e.get().isNoMoreEvents()) {
                    fail("R7: a consumer of the deleted topic '" + name + "' delivered " + Tck.describe(e.get())
                            + " (an event of the re-created topic?) instead of failing with TopicNotFoundException");
                }
                if (System.nanoTime() - deadline > 0) {
                    fail("R7: a consumer of the deleted topic '" + name + "' (another instance) did not fail with"
                            + " TopicNotFoundException within " + env().pullTimeout());
                }
            }
        }
    }

    /** R7: the admin calls of a handle of another driver instance notice that its topic was deleted and recreated. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R7_otherInstanceNoticesDeleteAndRecreateOnAdminCalls() {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1}"));
        try (Driver other = secondInstance(name); TopicHandle old = other.openTopic(name)) {
            assertEquals(0, old.bounds(0).next(), "R7: bounds before the delete");
            replace(name);
            checkMessage(name, assertThrows(TopicNotFoundException.class, () -> old.bounds(0),
                    "R7: bounds(0) of a handle of the deleted topic"));
            checkMessage(name, assertThrows(TopicNotFoundException.class, () -> old.positions("tck"),
                    "R7: positions() of a handle of the deleted topic"));
            checkMessage(name, assertThrows(TopicNotFoundException.class,
                    () -> old.resetPositions("tck", StartAt.EARLIEST),
                    "R7: resetPositions() of a handle of the deleted topic"));
            try (TopicHandle fresh = other.openTopic(name)) {
                assertEquals(0, fresh.bounds(0).next(), "R7: a new handle opens the re-created topic");
                assertTrue(fresh.positions("tck").isEmpty(), "R7: the re-created topic has no stored positions");
            }
        }
    }

    /**
     * @return a second instance of the driver with this test's options
     * @throws org.opentest4j.TestAbortedException if the driver cannot delete topics or the instances do not share
     */
    private Driver secondInstance(String name) {
        assumeTrue(capabilities().deleteTopic(),
                "the driver declares it cannot delete topics (Capabilities.deleteTopic)");
        Driver other = Driver.open(driver().name(), currentDriverOptions());
        boolean shared;
        try {
            shared = other.topicExists(name);
        } catch (RuntimeException e) {
            other.close();
            throw e;
        }
        if (!shared) {
            other.close();
        }
        assumeTrue(shared, "two instances of driver '" + driver().name() + "' with these options do not share topics");
        return other;
    }

    private void replace(String name) {
        driver().deleteTopic(name);
        driver().createTopic(name, md("{\"num_partitions\":1}"));
    }

    private static void checkMessage(String name, Throwable t) {
        if (t != null) {
            assertTrue(String.valueOf(t.getMessage()).contains(name), "R7: the TopicNotFoundException must name the"
                    + " topic '" + name + "': " + t.getMessage());
        }
    }
}
