package dev.diaspora.stream.internal.engine;

import dev.diaspora.stream.DiasporaException;
import dev.diaspora.stream.EventsFailedException;
import dev.diaspora.stream.Metadata;
import dev.diaspora.stream.PushErrorHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer's failed events: counted (with the first failure) until the next flush, which fails with
 * {@link EventsFailedException} if there were any, and handed to the {@link PushErrorHandler}, if one is set, on the
 * driver's timer thread. Nothing here runs, or allocates, for an event that succeeds. Not API.
 *
 * <p>Thread safety: thread-safe.
 */
final class PushFailures {
    private static final Logger LOG = LoggerFactory.getLogger(ProducerImpl.class);

    private final String producer;
    private final String topic;
    private final PushErrorHandler handler;
    private final Supplier<? extends Executor> handlerThread;
    private long sinceFlush; // guarded by this
    private long storageSinceFlush; // guarded by this: those the driver failed to store
    private Throwable first; // guarded by this

    PushFailures(String producer, String topic, PushErrorHandler handler, Supplier<? extends Executor> handlerThread) {
        this.producer = producer;
        this.topic = topic;
        this.handler = handler;
        this.handlerThread = handlerThread;
    }

    /**
     * Event {@code metadata} (meant for {@code partition}, -1 if none was chosen) failed with {@code cause}; in the
     * driver ({@code storage}) or before it was handed to the driver.
     */
    void failed(int partition, Metadata metadata, Throwable cause, boolean storage) {
        synchronized (this) {
            if (first == null) {
                first = cause;
            }
            sinceFlush++;
            if (storage) {
                storageSinceFlush++;
            }
        }
        if (handler == null) {
            return;
        }
        DiasporaException error = cause instanceof DiasporaException ? (DiasporaException) cause
                : new DiasporaException("partition " + partition + ": " + cause, cause);
        Runnable call = () -> {
            try {
                handler.onError(partition, metadata, error);
            } catch (RuntimeException e) {
                LOG.warn("producer '{}' of topic '{}': the onError handler threw; ignored", producer, topic, e);
            }
        };
        try {
            handlerThread.get().execute(call);
        } catch (RejectedExecutionException e) { // the driver is closing: call it here rather than not at all
            call.run();
        }
    }

    /**
     * @param closing for the flush of {@code close}: failures that never reached the driver (their futures carry them)
     *     are then logged at WARN instead of failing it, as they are no reason for close to throw
     * @return the failure for the flush that ends now, or null if no event failed since the previous one
     */
    EventsFailedException takeSinceFlush(boolean closing) {
        long n;
        long stored;
        Throwable f;
        synchronized (this) {
            n = sinceFlush;
            stored = storageSinceFlush;
            f = first;
            sinceFlush = 0;
            storageSinceFlush = 0;
            first = null;
        }
        if (n == 0) {
            return null;
        }
        if (closing && stored == 0) {
            LOG.warn("producer '{}' of topic '{}': {} event(s) failed since the last flush, before reaching the"
                    + " driver; the first: {}", producer, topic, n, f.getMessage());
            return null;
        }
        return new EventsFailedException("producer '" + producer + "' of topic '" + topic + "': " + n
                + " event(s) failed since the previous flush; the first: " + f.getMessage() + ". The other events"
                + " are stored; each failed push's future or callback (and ProducerOptions.onError) has its error",
                n, f);
    }
}
