package dev.diaspora.stream.files;

import dev.diaspora.stream.spi.IncomingBatch;
import dev.diaspora.stream.spi.LocalReadSession;
import dev.diaspora.stream.spi.LocalTopic;
import dev.diaspora.stream.spi.SessionConfig;

/**
 * The shared {@link LocalReadSession} of both file layouts, which also tells its {@link SessionWatch} when it closes:
 * the tail watcher runs while sessions exist. A damaged record reaches the engine as {@code IncomingBatch.failure}
 * (see {@code FilesTopic.read}), so it fails pulls of its own partition only.
 *
 * <p>Thread safety: confined to the consumer's fetch thread, except {@link #wakeup()}.
 */
final class FilesReadSession extends LocalReadSession {
    private final Runnable beforePoll;
    private final Runnable onClose;
    private boolean closed;

    /**
     * @param beforePoll run before every poll: the files layout checks that the topic is still the one this session
     *     opened (one {@code stat}); a no-op for v0
     * @param onClose run once, when the session closes
     */
    FilesReadSession(LocalTopic topic, SessionConfig config, Runnable beforePoll, Runnable onClose) {
        super(topic, config);
        this.beforePoll = beforePoll;
        this.onClose = onClose;
    }

    @Override
    public IncomingBatch poll(int maxEvents, long maxBytes, long timeoutNanos) {
        beforePoll.run();
        return super.poll(maxEvents, maxBytes, timeoutNanos);
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            if (!closed) {
                closed = true;
                onClose.run();
            }
        }
    }
}
