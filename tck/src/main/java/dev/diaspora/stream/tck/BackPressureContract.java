package dev.diaspora.stream.tck;

import static dev.diaspora.stream.tck.Tck.md;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.diaspora.stream.BackPressureException;
import dev.diaspora.stream.BatchSize;
import dev.diaspora.stream.DataView;
import dev.diaspora.stream.Producer;
import dev.diaspora.stream.ProducerOptions;
import dev.diaspora.stream.TopicHandle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rule S8, the producer's bound: {@code maxPendingEvents} and {@code maxPendingBytes} under FAIL_FAST and under BLOCK
 * with {@code maxBlock}. The first push of each test is kept pending by a fixed batch size that only a flush
 * completes; a driver that completes it anyway makes the test inconclusive (reported as skipped, with the reason).
 */
public interface BackPressureContract extends TckFixture {
    /**
     * S8: with {@code maxPendingEvents(1)} and FAIL_FAST, a push while another is pending throws
     * {@link BackPressureException} at once, and the producer works afterwards. (The first push is kept pending by a
     * fixed batch size that flush alone completes; if the driver completes it anyway, the test is inconclusive and
     * reported as skipped.)
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S8_failFastBackPressureAtMaxPendingEvents() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(ProducerOptions.named("bp").batchSize(BatchSize.of(1000))
                .maxPendingEvents(1).backPressure(ProducerOptions.BackPressure.FAIL_FAST))) {
            CompletableFuture<Long> first = producer.push(md("{\"n\":1}"), DataView.EMPTY);
            assumeFalse(first.isDone(), "the first push completed before flush, so the producer never reached its"
                    + " bound: inconclusive");
            CompletableFuture<Long> second = null;
            try {
                second = producer.push(md("{\"n\":2}"), DataView.EMPTY);
            } catch (BackPressureException expected) {
                // the bound holds
            }
            if (second != null) {
                if (!first.isDone()) {
                    fail("S8: a second push was accepted while the first was pending, with maxPendingEvents(1) and"
                            + " FAIL_FAST");
                }
                await(producer.flush(), "S8: flush");
                assumeFalse(true, "the first push completed during the second push: inconclusive");
            }
            await(producer.flush(), "S8: flush after back-pressure");
            assertEquals(0L, (long) await(first, "S8: the first push"));
            CompletableFuture<Long> third = producer.push(md("{\"n\":3}"), DataView.EMPTY);
            await(producer.flush(), "S8: flush");
            assertEquals(1L, (long) await(third, "S8: a push after back-pressure"), "S8: the refused push took no id");
        }
    }

    /**
     * S8: the bound also counts bytes: with {@code maxPendingBytes(1000)} and FAIL_FAST, a second 600-byte push while
     * the first is pending throws {@link BackPressureException} (inconclusive, and skipped, if the first completes
     * before flush).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S8_failFastBackPressureAtMaxPendingBytes() {
        TopicHandle topic = newTopic(1);
        try (Producer producer = topic.producer(ProducerOptions.named("bp").batchSize(BatchSize.of(1000))
                .maxPendingBytes(1000).backPressure(ProducerOptions.BackPressure.FAIL_FAST))) {
            CompletableFuture<Long> first = producer.push(md("{\"n\":1}"), DataView.of(new byte[600]));
            assumeFalse(first.isDone(), "the first push completed before flush: inconclusive");
            try {
                producer.push(md("{\"n\":2}"), DataView.of(new byte[600]));
                if (!first.isDone()) {
                    fail("S8: a push of 600 bytes was accepted while 600 bytes were pending, with maxPendingBytes(1000)"
                            + " and FAIL_FAST");
                }
            } catch (BackPressureException expected) {
                // the byte bound holds
            }
            await(producer.flush(), "S8: flush after back-pressure");
            await(first, "S8: the first push");
            CompletableFuture<Long> small = producer.push(md("{\"n\":3}"), DataView.of(new byte[100]));
            await(producer.flush(), "S8: flush");
            await(small, "S8: a push that fits the bound after back-pressure");
        }
    }

    /**
     * S8: with BLOCK and a short {@code maxBlock}, a push at the bound returns or throws
     * {@link BackPressureException} after waiting; it never hangs and never throws anything else.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void required_S8_blockingBackPressureGivesUpAfterMaxBlock() {
        TopicHandle topic = newTopic(1);
        Duration maxBlock = Duration.ofMillis(300);
        try (Producer producer = topic.producer(ProducerOptions.named("bp").batchSize(BatchSize.of(1000))
                .maxPendingEvents(1).maxBlock(maxBlock))) {
            CompletableFuture<Long> first = producer.push(md("{\"n\":1}"), DataView.EMPTY);
            assumeFalse(first.isDone(), "the first push completed before flush: inconclusive");
            long start = System.nanoTime();
            try {
                producer.push(md("{\"n\":2}"), DataView.EMPTY);
            } catch (BackPressureException e) {
                long waited = System.nanoTime() - start;
                assertTrue(waited >= maxBlock.toNanos() / 2, "S8: BLOCK must wait about maxBlock (" + maxBlock
                        + ") before throwing, waited " + Duration.ofNanos(waited));
            }
            await(producer.flush(), "S8: flush after back-pressure");
            await(first, "S8: the first push");
        }
    }
}
