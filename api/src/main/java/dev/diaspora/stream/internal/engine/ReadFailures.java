package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.BackgroundErrorHandler;
import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.TopicNotFoundException;
import dev.diaspora.stream.spi.Backoff;
import dev.diaspora.stream.spi.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a consumer's fetch thread does when the driver's session fails: a deleted (or replaced) topic stops the
 * reading for good, every pull failing with the driver's error; any other failure of a poll is logged, fails the
 * first waiting pull, and the poll is tried again after a pause of {@link #POLL_RETRY}: 100 ms at first, doubling
 * (jittered) up to 1 s while the failures go on; a successful poll starts again at 100 ms. Not API.
 *
 * <p>Thread safety: the consumer's fetch thread only.
 */
final class ReadFailures {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerImpl.class);
    /** The pauses between polls that fail. */
    static final Backoff POLL_RETRY = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1));

    private final String name;
    private final String topic;
    private final PullDeliverer deliverer;
    private final BackgroundErrorHandler errors;
    private final Backoff.Retry retry;

    ReadFailures(String name, String topic, PullDeliverer deliverer, BackgroundErrorHandler errors, Clock clock) {
        this.name = name;
        this.topic = topic;
        this.deliverer = deliverer;
        this.errors = errors;
        this.retry = POLL_RETRY.start(clock);
    }

    /** @return the start of a background report's place: {@code consumer 'name' of topic 'topic': } */
    String where() {
        return "consumer '" + name + "' of topic '" + topic + "': ";
    }

    /** A poll succeeded: the next failure pauses the shortest time again. */
    void pollSucceeded() {
        if (retry.retries() != 0) {
            retry.reset();
        }
    }

    /**
     * A poll failed: stops reading if the topic is gone, else reports the failure to the first waiting pull and
     * pauses before the next poll (an interrupt ends the pause and stays set).
     */
    void pollFailed(RuntimeException e) {
        DiasporaException d = e instanceof DiasporaException ? (DiasporaException) e
                : new DiasporaException(where() + "the driver failed to read: " + e, e);
        if (d instanceof TopicNotFoundException) {
            topicGone(d);
            return;
        }
        LOG.warn("consumer '{}' of topic '{}': read failed, retrying: {}", name, topic, e.toString());
        deliverer.failFirst(d);
        try {
            retry.pause(); // unbounded: always pauses
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** The group upkeep (keepAlive) failed: stops reading if the topic is gone, else reports it (it is retried). */
    void upkeepFailed(RuntimeException e) {
        if (e instanceof TopicNotFoundException) {
            if (deliverer.topicGone() == null) {
                topicGone((TopicNotFoundException) e);
            }
        } else {
            errors.onError(where() + "group upkeep failed, retrying", e);
        }
    }

    /**
     * The topic was deleted or replaced: retrying cannot help. Fails every pending pull and every later one with the
     * driver's error (which names the topic and says to reopen it), logs it once, and stops reading.
     */
    private void topicGone(DiasporaException d) {
        LOG.error("consumer '{}' of topic '{}': {}; the consumer stops reading, close it", name, topic, d.getMessage());
        deliverer.topicGone(d);
    }
}
