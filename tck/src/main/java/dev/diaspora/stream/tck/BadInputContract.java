package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diaspora.stream.Consumer;
import dev.diaspora.stream.ConsumerOptions;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.Driver;
import dev.diaspora.stream.Event;
import dev.diaspora.stream.EventTooLargeException;
import dev.diaspora.stream.EventsFailedException;
import dev.diaspora.stream.InvalidMetadataException;
import dev.diaspora.stream.InvalidOptionException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.StartAt;
import dev.diaspora.stream.TopicHandle;
import dev.diaspora.stream.ValidationException;
import dev.diaspora.stream.Validator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rules R4, R5, R10, R11 and R19: bad names, bad options and bad events get clear, specific errors at the right
 * place (synchronously for what is known at the call, through the event's future for what reads the event), and a
 * failed event never breaks the producer.
 */
public interface BadInputContract extends TckFixture {
    /** R4: names that are empty, '.' or '..', hold a separator or other characters, or are too long, are refused. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R4_invalidTopicNamesAreRejected() {
        List<String> bad = List.of("", ".", "..", "../x", "a/b", "a\\b", "white space", "x".repeat(201), "tab\tname",
                "nul\u0000name");
        for (String name : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> driver().createTopic(name),
                    "R4: createTopic(\"" + printable(name) + "\") must throw IllegalArgumentException");
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(),
                    "R4: the exception for \"" + printable(name) + "\" must say what is wrong");
        }
        for (String name : bad) {
            if (!name.isEmpty() && !name.equals(".") && !name.equals("..") && name.length() < 100) {
                assertFalse(driver().listTopics().containsKey(name), "R4: a refused name was created: " + name);
            }
        }
    }

    /** R4: a name of 200 characters of letters, digits, '.', '_' and '-' is accepted. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R4_longestValidTopicNameIsAccepted() {
        String prefix = newTopicName() + "_.";
        String name = prefix + "n".repeat(200 - prefix.length());
        assertEquals(200, name.length());
        driver().createTopic(name);
        assertTrue(driver().topicExists(name), "R4: topicExists of a 200-character name");
        try (TopicHandle t = driver().openTopic(name)) {
            assertEquals(name, t.name(), "R4: name of a 200-character topic");
        }
    }

    /** R5: {@code num_partitions} must be an integer of at least 1. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R5_invalidNumPartitionsIsRejected() {
        for (String value : new String[] {"0", "-1", "\"two\"", "1.5", "null", "[1]"}) {
            String name = newTopicName();
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> driver().createTopic(name, md("{\"num_partitions\":" + value + "}")),
                    "R5: num_partitions " + value + " must be refused with InvalidOptionException");
            assertTrue(String.valueOf(e.getMessage()).contains("num_partitions"),
                    "R5: the message should name num_partitions: " + e.getMessage());
            assertFalse(driver().topicExists(name), "R5: a refused createTopic must not create the topic");
        }
    }

    /** R5: an unknown topic option is refused with {@link InvalidOptionException} naming the key (no silent typo). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R5_unknownTopicOptionIsRejectedNamingIt() {
        String name = newTopicName();
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> driver().createTopic(name, md("{\"num_partitions\":1,\"num_partitoins_typo\":2}")),
                "R5: unknown topic option");
        assertTrue(String.valueOf(e.getMessage()).contains("num_partitoins_typo"),
                "R5: the message should name the unknown key: " + e.getMessage());
        assertFalse(driver().topicExists(name), "R5: a refused createTopic must not create the topic");
    }

    /** R5: an unknown driver option is refused by {@code Driver.open} with {@link InvalidOptionException} naming it. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R5_unknownDriverOptionIsRejectedNamingIt() {
        Metadata reopenOptions = currentDriverOptions();
        ObjectNode bad = reopenOptions.json().deepCopy();
        bad.put("tck_no_such_option", 1);
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> Driver.open(driver().name(), Metadata.of(bad)).close(), "R5: Driver.open with an unknown option");
        assertTrue(String.valueOf(e.getMessage()).contains("tck_no_such_option"),
                "R5: the message should name the unknown key: " + e.getMessage());
    }

    /** R10: a validator's rejection fails only that push's future, with {@link ValidationException}. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R10_validationFailureFailsOnlyThatPush() {
        TopicHandle topic = newTopic(1, Validator.fromConfig(md(TopicContract.ENERGY_VALIDATOR)));
        try (Producer producer = topic.producer(); Consumer consumer = topic.consumer("tck")) {
            CompletableFuture<Long> ok1 = producer.push(md("{\"energy\":1}"), DataView.EMPTY);
            CompletableFuture<Long> bad = producer.push(md("{\"mass\":2}"), DataView.EMPTY);
            CompletableFuture<Long> ok2 = producer.push(md("{\"energy\":3}"), DataView.EMPTY);
            Throwable t = awaitFailure(bad, "R10: push of an event without the required field");
            assertTrue(t instanceof ValidationException, "R10: the future must fail with ValidationException, got "
                    + t);
            assertTrue(t instanceof InvalidMetadataException,
                    "R10: ValidationException extends InvalidMetadataException");
            assertFlushReportsFailures(producer, 1, t, "R10");
            long id1 = await(ok1, "R10: the push before the invalid one");
            long id2 = await(ok2, "R10: the push after the invalid one");
            assertEquals(List.of(0L, 1L), List.of(id1, id2), "R10: the invalid event takes no EventID");
            assertEquals("{\"energy\":1}", nextEvent(consumer, "R10").metadata().toString());
            assertEquals("{\"energy\":3}", nextEvent(consumer, "R10").metadata().toString());
            assertNoMoreEvents(consumer, "R10: the rejected event must not be stored");
        }
    }

    /** R11: metadata that is not JSON fails that push's future with {@link InvalidMetadataException} (line, column). */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R11_invalidJsonFailsThatPushWithLineAndColumn() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(); Consumer consumer = topic.consumer("tck")) {
            CompletableFuture<Long> bad;
            try {
                bad = producer.push(md("{\"x\":1,\n \"y\":"), DataView.EMPTY);
            } catch (DiasporaException e) {
                fail("S1/R11: push must not throw for invalid JSON; the event's future fails instead. Threw " + e);
                return;
            }
            Throwable t = awaitFailure(bad, "R11: push of invalid JSON");
            assertTrue(t instanceof InvalidMetadataException, "R11: expected InvalidMetadataException, got " + t);
            String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            assertTrue(msg.contains("line") && msg.contains("column"),
                    "R11: the message should name line and column: " + t.getMessage());
            await(producer.push(md("{\"after\":true}"), DataView.EMPTY), "R11: push after an invalid one");
            assertFlushReportsFailures(producer, 1, t, "R11");
            assertEquals("{\"after\":true}", nextEvent(consumer, "R11").metadata().toString());
            assertNoMoreEvents(consumer, "R11: the invalid event must not be stored");
        }
    }

    /**
     * R22: {@code flush()} after failed pushes fails once with {@link EventsFailedException} counting them, whose cause
     * is the first failure; the next flush succeeds.
     */
    private void assertFlushReportsFailures(Producer producer, long failed, Throwable first, String rule) {
        Throwable f = awaitFailure(producer.flush(), rule + "/R22: flush after " + failed + " failed push(es) must"
                + " report them");
        assertTrue(f instanceof EventsFailedException, rule + "/R22: flush must fail with EventsFailedException,"
                + " got " + f);
        assertEquals(failed, ((EventsFailedException) f).count(), rule + "/R22: failed events counted by flush");
        assertTrue(f.getCause() == first || String.valueOf(f.getMessage()).contains(first.getMessage()),
                rule + "/R22: the flush failure must carry the first failure: " + f);
        await(producer.flush(), rule + "/R22: the next flush, with no new failure, must succeed");
    }

    /**
     * R21: metadata over a limit of the consumers' parser ({@link Metadata#MAX_STRING_LENGTH}, {@link
     * Metadata#MAX_DEPTH}...) fails its push with {@link InvalidMetadataException} naming the limit and the value,
     * is not stored, and the producer goes on.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R21_metadataOverAParserLimitFailsItsPushNamingTheLimit() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(); Consumer consumer = topic.consumer("tck")) {
            String longString = "{\"blob\":\"" + "x".repeat(Metadata.MAX_STRING_LENGTH + 1) + "\"}";
            Throwable t = awaitFailure(producer.push(md(longString), DataView.EMPTY),
                    "R21: push of a string value one character over Metadata.MAX_STRING_LENGTH");
            assertTrue(t instanceof InvalidMetadataException, "R21: expected InvalidMetadataException, got " + t);
            assertTrue(t.getMessage().contains("MAX_STRING_LENGTH")
                    && t.getMessage().contains(String.valueOf(Metadata.MAX_STRING_LENGTH + 1)),
                    "R21: the message must name the limit and the value: " + t.getMessage());
            String deep = "[".repeat(Metadata.MAX_DEPTH + 1) + "]".repeat(Metadata.MAX_DEPTH + 1);
            Throwable d = awaitFailure(producer.push(md(deep), DataView.EMPTY),
                    "R21: push of arrays nested one level deeper than Metadata.MAX_DEPTH");
            assertTrue(d instanceof InvalidMetadataException && d.getMessage().contains("MAX_DEPTH"),
                    "R21: expected InvalidMetadataException naming MAX_DEPTH, got " + d);
            String atLimit = "[".repeat(Metadata.MAX_DEPTH) + "]".repeat(Metadata.MAX_DEPTH);
            await(producer.push(md(atLimit), DataView.EMPTY), "R21: push of arrays nested exactly MAX_DEPTH deep");
            await(producer.push(md("{\"after\":true}"), DataView.EMPTY), "R21: push after the refused ones");
            Event e = nextEvent(consumer, "R21");
            assertEquals(atLimit, e.metadata().toString(), "R21: the event at the limit is stored verbatim");
            assertEquals(Metadata.MAX_DEPTH + 0L, depth(e.metadata().json()), "R21: and a consumer parses it");
            assertEquals("{\"after\":true}", nextEvent(consumer, "R21").metadata().toString());
            assertNoMoreEvents(consumer, "R21: the refused events must not be stored");
        }
    }

    private static long depth(com.fasterxml.jackson.databind.JsonNode n) {
        long d = 0;
        while (n != null && n.isContainerNode()) {
            d++;
            n = n.size() == 0 ? null : n.get(0);
        }
        return d;
    }

    /**
     * R22: {@link ProducerOptions#onError} is called once for every failed push, future or callback form, with the
     * metadata, partition -1 when none was chosen, and the error, on a library thread (not the pushing thread); the
     * next {@code flush()} fails with {@link EventsFailedException} counting them, and the one after succeeds.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R22_failedPushesReachOnErrorAndFailTheNextFlushOnce() {
        TopicHandle topic = newTopic(1, Validator.fromConfig(md(TopicContract.ENERGY_VALIDATOR)));
        java.util.Queue<String> reported = new ConcurrentLinkedQueue<>();
        Thread pusher = Thread.currentThread();
        ProducerOptions options = ProducerOptions.named("tck").onError((p, m, err) -> reported.add(p + " " + m + " "
                + err.getClass().getSimpleName() + (Thread.currentThread() == pusher ? " on the pushing thread"
                : Thread.currentThread().getName().startsWith("diaspora-") ? "" : " on "
                        + Thread.currentThread().getName())));
        try (Producer producer = topic.producer(options); Consumer consumer = topic.consumer("tck")) {
            CompletableFuture<Long> ok1 = producer.push(md("{\"energy\":1}"), DataView.EMPTY);
            CompletableFuture<Long> bad = producer.push(md("{\"energy\":"), DataView.EMPTY);
            CompletableFuture<Throwable> viaCallback = new CompletableFuture<>();
            producer.push(md("{\"mass\":2}"), DataView.EMPTY, -1, (p, id, err) -> viaCallback.complete(err));
            CompletableFuture<Long> ok2 = producer.push(md("{\"energy\":3}"), DataView.EMPTY);
            Throwable first = awaitFailure(bad, "R22: push of invalid JSON");
            assertTrue(await(viaCallback, "R22: callback of the push the validator rejects")
                    instanceof ValidationException, "R22: the callback gets the ValidationException");
            assertFlushReportsFailures(producer, 2, first, "R22");
            await(ok1, "R22: valid push");
            await(ok2, "R22: valid push");
            awaitCondition(() -> reported.size() >= 2, env().pullTimeout(),
                    () -> "R22: onError must be called for each of the 2 failed pushes, got " + reported);
            Tck.sleepMillis(env().quietPeriod().toMillis());
            assertEquals(List.of("-1 {\"energy\": InvalidMetadataException", "-1 {\"mass\":2} ValidationException"),
                    new ArrayList<>(reported), "R22: onError calls (partition, metadata, error), once each, in order,"
                            + " on a library thread");
            assertEquals("{\"energy\":1}", nextEvent(consumer, "R22").metadata().toString());
            assertEquals("{\"energy\":3}", nextEvent(consumer, "R22").metadata().toString());
            assertNoMoreEvents(consumer, "R22: the failed events must not be stored");
        }
    }

    /** R19: null arguments to push are refused synchronously. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R19_nullPushArgumentsThrowSynchronously() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            assertNullRefused(() -> producer.push(null, DataView.EMPTY), "push(null, data)");
            assertNullRefused(() -> producer.push(md("{}"), null), "push(metadata, null)");
            await(producer.push(md("{}"), DataView.EMPTY), "R19: push after refused nulls");
        }
    }

    private static void assertNullRefused(Runnable call, String what) {
        try {
            call.run();
            fail("R19: " + what + " must throw NullPointerException or IllegalArgumentException");
        } catch (NullPointerException | IllegalArgumentException expected) {
            // refused at the call
        }
    }

    /** R19: partition indexes outside the topic are refused: bounds, seek and targets. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_R19_outOfRangePartitionsAreRefused() {
        TopicHandle topic = newTopic(2);
        assertThrows(IllegalArgumentException.class, () -> topic.bounds(2), "R19: bounds(2) of a 2-partition topic");
        assertThrows(IllegalArgumentException.class, () -> topic.bounds(-1), "R19: bounds(-1)");
        try (Consumer consumer = topic.consumer(ConsumerOptions.named("tck").targets(1))) {
            assertThrows(IllegalArgumentException.class, () -> consumer.seek(0, StartAt.EARLIEST),
                    "R19: seek on a partition the consumer does not read");
        }
        assertThrows(IllegalArgumentException.class,
                () -> topic.consumer(ConsumerOptions.named("tck2").targets(0, 5)).close(),
                "R19: targets beyond the topic's partitions");
    }

    /** R20: an event larger than the driver's declared maximum fails its future with {@link EventTooLargeException}. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void optional_R20_oversizedEventFailsItsFuture() {
        long max = capabilities().maxEventSize();
        assumeTrue(max > 0 && max <= (64L << 20), "the driver's maxEventSize (" + max
                + ") is too large to allocate an event just above it in a test");
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer()) {
            ByteBuffer big = ByteBuffer.allocate((int) max + 1);
            Throwable t = awaitFailure(producer.push(md("{}"), DataView.of(big)), "R20: push of " + (max + 1)
                    + " data bytes with maxEventSize " + max);
            assertTrue(t instanceof EventTooLargeException, "R20: expected EventTooLargeException, got " + t);
            await(producer.push(md("{}"), DataView.of(new byte[16])), "R20: push after an oversized one");
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.length() > 40 ? b.substring(0, 20) + "...(" + s.length() + " chars)" : b.toString();
    }
}
