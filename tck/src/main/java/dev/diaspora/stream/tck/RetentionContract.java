package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.ExpiredPositionPolicy;
import dev.diaspora.stream.PartitionBounds;
import dev.diaspora.stream.PositionExpiredException;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.spi.StorageClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule R25 (issue 13): retention. {@code retention.ms} drops events older than the limit (time is the driver's
 * {@link StorageClock}, which the tests move forward instead of sleeping), {@code retention.bytes} keeps a partition
 * bounded, {@code TopicHandle.bounds(p)} reports the first retained id, what is retained reads back intact, and a
 * consumer whose position retention dropped follows {@code ConsumerOptions.onExpiredPosition}: EARLIEST (default),
 * LATEST, or FAIL with a {@link PositionExpiredException} naming partition, position and first retained id until it
 * seeks; {@code metrics().eventsExpired()} counts the ids passed over. Needs {@code Capabilities.retention}.
 */
public interface RetentionContract extends TckFixture {
    /**
     * @return extra topic options (JSON members, each preceded by a comma) that make retention visible at the
     *     kit's scale, e.g. {@code ,"segment_size":65536,"segment.ms":1000} for a driver that drops whole segments
     */
    default String retentionTopicOptions() {
        return "";
    }

    private TopicHandle retentionTopic(String retention) {
        String name = newTopicName();
        driver().createTopic(name, md("{\"num_partitions\":1," + retention + retentionTopicOptions() + "}"));
        return driver().openTopic(name);
    }

    private void needRetention() {
        assumeTrue(capabilities().retention(), "the driver declares no retention (Capabilities.retention)");
    }

    private void awaitFirst(TopicHandle topic, long first, String context) {
        awaitCondition(() -> topic.bounds(0).first() == first, env().pullTimeout(),
                () -> context + ": bounds(0) should become [" + first + ", ...), is " + topic.bounds(0));
    }

    /** R25: once events are older than {@code retention.ms}, they are dropped; the newer ones read back intact. */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R25_retentionMsDropsEventsOlderThanTheLimit() {
        needRetention();
        try {
            TopicHandle topic = retentionTopic("\"retention.ms\":600000");
            try (Producer producer = topic.producer()) {
                pushNumbered(producer, 40);
                assertEquals(new PartitionBounds(0, 40), topic.bounds(0), "R25: nothing is 10 minutes old yet");
                StorageClock.advance(Duration.ofMinutes(20));
                long id = await(producer.push(md("{\"event_num\":40}"), DataView.of(numberedData(40))), "push");
                assertEquals(40, id, "R25: the id after the dropped events");
            }
            awaitFirst(topic, 40, "R25: events 20 minutes old with retention.ms of 10 minutes");
            try (Consumer c = topic.consumer(ConsumerOptions.named("reader"))) {
                Event e = nextEvent(c, "R25: a new consumer after retention");
                assertEquals(40, e.id(), "R25: a new consumer starts at the first retained event");
                assertArrayEquals(numberedData(40), e.data().toByteArray(), "R25: the retained event's data");
                assertEquals(0, c.metrics().eventsExpired(), "R25: a new name has no expired position");
            }
        } finally {
            StorageClock.reset();
        }
    }

    /**
     * R25: with {@code retention.bytes}, old events are dropped as new ones arrive; the newest stays, and what is
     * retained (from {@code bounds(0).first()}) is contiguous and intact.
     */
    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R25_retentionBytesKeepsThePartitionBounded() {
        needRetention();
        TopicHandle topic = retentionTopic("\"retention.bytes\":16384");
        int n = 300;
        byte[] kib = new byte[1024];
        try (Producer producer = topic.producer()) {
            List<CompletableFuture<Long>> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                kib[0] = (byte) i;
                ids.add(producer.push(md("{\"event_num\":" + i + "}"), DataView.of(kib.clone())));
            }
            await(producer.flush(), "flush");
            for (CompletableFuture<Long> f : ids) {
                await(f, "push");
            }
        }
        awaitCondition(() -> topic.bounds(0).first() > 0, env().pullTimeout(),
                () -> "R25: 300 KiB in a partition with retention.bytes 16384 should drop events: " + topic.bounds(0));
        PartitionBounds b = topic.bounds(0);
        assertEquals(n, b.next(), "R25: retention does not move the end");
        try (Consumer c = topic.consumer(ConsumerOptions.named("reader"))) {
            Event e = nextEvent(c, "R25: the first retained event");
            long first = e.id();
            assertTrue(first >= b.first(), "R25: the first event read " + first + " is below bounds " + b);
            for (long id = first;; id++) {
                assertEquals(id, e.id(), "R25: retained events are contiguous");
                assertEquals(id, e.metadata().json().get("event_num").asLong(), "R25: the event's metadata");
                assertEquals((byte) id, e.data().toByteArray()[0], "R25: the event's data");
                if (id == n - 1) {
                    break;
                }
                e = nextEvent(c, "R25: retained event " + (id + 1));
            }
        }
    }

    /**
     * R25: stored positions that retention dropped, under each policy: EARLIEST goes on at the first retained event,
     * LATEST at the end, FAIL fails every pull with a {@link PositionExpiredException} naming partition, position and
     * first retained id until a seek; a seek below the first retained id follows the policy; the ids passed over are
     * counted in {@code metrics().eventsExpired()}.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R25_consumerBehindRetentionFollowsItsPolicy() throws Exception {
        needRetention();
        try {
            TopicHandle topic = retentionTopic("\"retention.ms\":600000");
            try (Producer producer = topic.producer()) {
                pushNumbered(producer, 20);
                for (String name : List.of("e", "l", "f")) {
                    try (Consumer c = topic.consumer(ConsumerOptions.named(name))) {
                        nextEvents(c, 5, "R25: consumer " + name).get(4).acknowledge();
                        await(c.commit(), "commit of " + name);
                    }
                }
                StorageClock.advance(Duration.ofMinutes(20));
                await(producer.push(md("{\"event_num\":20}"), DataView.of(numberedData(20))), "push");
                awaitFirst(topic, 20, "R25: after 20 minutes with retention.ms of 10 minutes");

                try (Consumer e = topic.consumer(ConsumerOptions.named("e"))) {
                    assertEquals(20, nextEvent(e, "R25: EARLIEST").id(),
                            "R25: EARLIEST (the default) goes on at the first retained event");
                    assertEquals(15, e.metrics().eventsExpired(), "R25: ids 5..19 passed over");
                    e.seek(0, StartAt.id(3));
                    assertEquals(20, nextEvent(e, "R25: seek below the first retained id").id(),
                            "R25: a seek below the first retained id goes on at it under EARLIEST");
                    assertEquals(15 + 17, e.metrics().eventsExpired(), "R25: and counts ids 3..19");
                }
                try (Consumer l = topic.consumer(ConsumerOptions.named("l")
                        .onExpiredPosition(ExpiredPositionPolicy.LATEST))) {
                    assertNoMoreEvents(l, "R25: LATEST goes on at the end");
                    assertEquals(21, await(producer.push(md("{\"event_num\":21}"), DataView.EMPTY), "push"));
                    assertEquals(21, nextEvent(l, "R25: LATEST").id(), "R25: LATEST reads what comes next");
                    assertEquals(15, l.metrics().eventsExpired(), "R25: ids 5..19 passed over");
                }
                try (Consumer f = topic.consumer(ConsumerOptions.named("f")
                        .onExpiredPosition(ExpiredPositionPolicy.FAIL))) {
                    for (int attempt = 0; attempt < 2; attempt++) {
                        Throwable t = awaitFailure(f.pull(), "R25: FAIL, pull " + attempt);
                        PositionExpiredException x = assertInstanceOf(PositionExpiredException.class, t,
                                "R25: FAIL fails the pull with PositionExpiredException");
                        assertEquals(0, x.partition(), "R25: partition()");
                        assertEquals(5, x.position(), "R25: position()");
                        assertEquals(20, x.firstRetainedId(), "R25: firstRetainedId()");
                        assertTrue(x.getMessage().contains("partition 0") && x.getMessage().contains("position 5")
                                && x.getMessage().contains("20"), "R25: the message names them: " + x.getMessage());
                    }
                    assertThrows(PositionExpiredException.class, () -> f.poll(env().pullTimeout()),
                            "R25: poll throws it too");
                    f.seek(0, StartAt.EARLIEST);
                    assertEquals(20, nextEvent(f, "R25: FAIL after seek(EARLIEST)").id());
                }
            }
        } finally {
            StorageClock.reset();
        }
    }
}
